"""Domain vocabularies. Values are the glossary's words, so ledgers and mails read them as they are."""
from enum import StrEnum


class Role(StrEnum):
    SECRETARY = "secretary"
    ORG_DEPT = "org_dept"
    DISCIPLINE = "discipline"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.SECRETARY: "责任单位书记",
    Role.ORG_DEPT: "县委组织部",
    Role.DISCIPLINE: "纪委监委",
    Role.ADMIN: "系统管理员",
}


class UnitKind(StrEnum):
    TOWN = "镇"
    TOWNSHIP = "乡"
    SUBDISTRICT = "街道"
    BUREAU = "县直部门"
    OTHER = "其他"


class TaskType(StrEnum):
    IMMEDIATE = "立行立改"
    TIME_LIMITED = "限期整改"
    ONGOING = "长期坚持"


class TaskStatus(StrEnum):
    PENDING = "待整改"
    IN_PROGRESS = "整改中"
    AWAITING_VERIFICATION = "待销号审核"
    CLOSED = "已销号"


class Assessment(StrEnum):
    GOOD = "好"
    FAIRLY_GOOD = "较好"
    FAIR = "一般"
    POOR = "差"


# A 一般 or 差 assessment sends the task back for 二次整改.
PASSING_ASSESSMENTS = frozenset({Assessment.GOOD, Assessment.FAIRLY_GOOD})


class EscalationLevel:
    NONE = 0
    SUPERVISION = 1  # 督办
    TALK = 2  # 约谈 proposed
    CIRCULAR = 3  # 通报 proposed

    LABELS = {0: "无", 1: "督办", 2: "约谈", 3: "通报"}


class ExtensionStatus(StrEnum):
    REQUESTED = "待审批"
    APPROVED = "已批准"
    REFUSED = "已驳回"


class UpdateKind(StrEnum):
    PLAN = "整改措施"
    PROGRESS = "整改进展"
    CLOSURE_REQUEST = "申请销号"
    EXPLANATION = "情况说明"
