"""The monthly index, wired (docs/index.md §9): what each dossier change writes (``tracking``), the monthly job
and the full recompute (``job``), the open data it publishes (``open_data``), the API's reads (``queries``) and
the loading of known histories (``loading``: the demo province, tests); ``month`` holds what a computed month
is, as stored. The formulas are the pure package's (``motcua.domain.index``); storage is
``motcua.data.index_store`` and ``motcua.data.reports``.

Per change (``DossierService.submit`` / ``act``, the evaluation): the stored facts are folded with the new
events (``apply_event``), the counter deltas (``contribution_delta``) of the dossier's own agency go to the
unit-month items as atomic ADDs, and the dossier's row for each month still open is rewritten, all in the
transaction that writes the events. Ancestors (the province) are summed when a month is scored.

Feedback about a procedure or an agency has no dossier to carry it: each of its steps (filing, refusal,
request for information, answer, publication, rating) ADDs ``standalone_delta`` to its responsible agency's
unit-month item and rewrites its ``F#`` row, in the transaction that writes the feedback
(``plan_feedback_change``, called by ``FeedbackService``); the recompute reads those records too.
"""
