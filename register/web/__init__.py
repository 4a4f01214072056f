"""The register as a form in the browser (``register open``), on the clerk's laptop only.

The same register, rules and words as the command line, served to the default browser from
127.0.0.1 by a small Flask application under waitress; pages are rendered on the server
(Jinja2 templates), and everything they need ships in this package (styles, one small script,
the Khmer font), so nothing is fetched from the internet.

* :mod:`.session` - one clerk's session: the file, the clerk, the language, the passphrase;
* :mod:`.security` - loopback only, the session token, the Host/Origin checks and CSRF;
* :mod:`.forms` - the register's calls behind the forms: the clerk's form without its screen
  (:mod:`register.entry`), the same questions, checks, pickers and review as the prompts;
* :mod:`.widgets` - each question's control, from its field's declaration in
  :mod:`register.model`;
* :mod:`.app` (the application and its guard), :mod:`.page`, :mod:`.enter` (forms,
  corrections, voiding), :mod:`.pages` (lists, records, reports), :mod:`.report_view` - the
  pages, in the words of :mod:`register.present` and :mod:`register.report_text`;
* :mod:`.server` - waitress, until Ctrl-C or the Stop button.

Flask and waitress are imported only by ``register open``.
"""
