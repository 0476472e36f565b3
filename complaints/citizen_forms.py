"""Small forms of the citizen's actions on a report page (reply, accept, reopen, details) and comments."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .uploads import AttachmentsField


def _note(label, help_text=""):
    return forms.CharField(
        label=label, help_text=help_text, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class ReplyForm(forms.Form):
    prefix = "reply"
    note = _note(_("Tanggapan Anda"), _("Jelaskan mengapa jawaban instansi belum menyelesaikan masalah Anda."))
    attachments = AttachmentsField(label=_("Lampiran (opsional)"), required=False)


class ProvideInfoForm(forms.Form):
    prefix = "info"
    note = _note(_("Kelengkapan data"), _("Jawab pertanyaan instansi selengkap mungkin."))
    attachments = AttachmentsField(label=_("Lampiran (opsional)"), required=False)


# Formatted when shown, in the reader's language (`_(…) % …` here would fix it in the default one).
_stars = lazy(lambda n: gettext("%(n)s dari 5 bintang") % {"n": n}, str)
RATING_CHOICES = [(n, _stars(n)) for n in range(1, 6)]


class AcceptForm(forms.Form):
    prefix = "accept"
    rating = forms.TypedChoiceField(
        label=_("Penilaian"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect, required=False
    )
    comment = forms.CharField(
        label=_("Komentar (opsional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReopenForm(forms.Form):
    prefix = "reopen"
    reason = _note(_("Alasan membuka kembali"), _("Apa yang belum selesai?"))


class CommentForm(forms.Form):
    prefix = "comment"
    body = forms.CharField(label=_("Komentar"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
