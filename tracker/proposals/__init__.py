"""约谈 / 通报 proposals, their dossiers and .docx drafts, and recorded 组织处理 decisions."""
