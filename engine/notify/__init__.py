"""Notifications and e-mail (#17): the mail outbox and its SMTP delivery, the bell, digests, preferences.

Other parts queue mail with ``engine.notify.mail.enqueue_mail`` and notify users with
``engine.notify.api.notify_users``; case changes become notifications through a change hook
(``engine.notify.hooks``), in the same transaction as the change.
"""
