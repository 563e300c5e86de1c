"""Telling citizens what happened to their dossier.

The path: a dossier change writes its events to the outbox in the same transaction (``repositories``);
``relay`` moves them to the notifications queue (scheduled, ``handlers.outbox_relay``); ``delivery``
renders each one from ``templates`` and sends it by the citizen's channels (``handlers.notifier``).

Channels are what the applicant gave: e-mail (SES) when the dossier has an address, SMS (SNS) to the
phone every dossier has. App push is not sent: neither the dossier nor the citizen's account stores a
push endpoint today; when one exists it is one more channel next to these two.
"""
