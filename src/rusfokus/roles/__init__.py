"""The nøgleperson's pages ("For nøglepersoner"): her institution's training status and her
colleagues' reflections to read and score. Roles come from ``rusfokus.identity.current_role``."""
