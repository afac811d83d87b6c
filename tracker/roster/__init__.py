"""党组织书记名册: reading the organization department's roster workbook, matching it to units and people,
applying it (换届, emails, phones, logins) and writing it back out. Pure domain code taking `session` and `now`."""
