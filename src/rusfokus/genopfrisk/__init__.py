"""The refresher loop: practice rounds at about 1, 3 and 6 months after a pass, reminders, renewal (issue 17)."""
