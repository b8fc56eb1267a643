"""Password rules: Django's validators, with the one message Django's zh-hans catalogue misses.

Django 5.2 asks for "This password is too short. It must contain at least %d characters." while
its bundled zh_Hans catalogue still translates the older msgid with "%(min_length)d", so the
too-short message stayed English in the zh-hans UI although every other rule was Chinese. This
validator raises it with the msgid the catalogue knows (ours carries it too).
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
