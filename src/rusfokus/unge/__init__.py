"""Module 5 (Unge og rusmidler): the judgement trainer "Signal eller støj?".

``cases`` loads and validates the cases (YAML in the module's data folder);
``trainer`` runs one case (sorting, questions, feedback) and makes the plan
(what to do now, whom to involve, which rules apply). No widgets here: the app
is :mod:`rusfokus.apps.signal_eller_stoej`.
"""
