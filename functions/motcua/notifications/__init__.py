"""Telling citizens what happened to their dossier, and officials when its deadline comes (docs/sla.md).

The path: a dossier change writes its events to the outbox in the same transaction (``repositories``);
``relay`` moves them to the notifications queue (scheduled, ``handlers.outbox_relay``); ``delivery``
finds who is told, renders each one's notice from ``templates`` and sends it by their channels
(``handlers.notifier``), idempotent per (event, recipient, channel, device).

Who is told what:

* the citizen (the dossier's owner): every status change, the apology (the e-mail carries the Form 04
  PDF), the last day's SLA warning and the breach. E-mail and SMS at the applicant's contacts on the
  dossier, app push (SNS mobile push) to the devices they registered (``PUT /me/devices/{id}``); only the
  channels they chose if they saved settings (``PUT /me/notification-settings``), else all they have.
* the dossier's processing officer and the leaders of the agency handling it: every SLA warning
  (two and one working days before, the last day) and the breach, at the work e-mail, phone and devices
  of their saved settings (``motcua.data.contacts``); no processing officer yet: the leaders only.
"""
