"""The lessons' content, as records: a Lesson of Station records (records.py), each marked done from the
learner's work; lesson 1's stations (stations.py), its questions, bug checklist and takeaway."""
