from flask import Blueprint

bp = Blueprint("secretary", __name__)
