"""For gunicorn: `gunicorn -w 3 tracker.wsgi:app`. Web workers never run the scheduler."""
from config import config_from_env
from tracker import create_app

app = create_app(config_from_env())
