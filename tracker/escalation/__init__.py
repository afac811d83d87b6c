"""The escalation ladder 提醒 → 催办 → 督办 → 约谈 → 通报: rules, the scan, working days, 签收 and the weekly 周报."""
