"""The lesson's content: its stations, checkpoint questions, bug checklist and takeaway."""
