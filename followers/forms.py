"""The subscription forms. Anything a reader types is validated here: the address (Django's
EmailValidator: no CR/LF or anything else that could become a header, at most 254 characters,
an ASCII local part) and the keywords (papers.keywords.parse_keywords)."""

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from followers.models import Subscriber
from followers.subscriptions import Choices, normalise_email
from papers.keywords import KeywordError, parse_keywords
from papers.models import Category


class KeywordsField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=2000, strip=True, **kwargs)
        self.widget.attrs.setdefault("placeholder", "diffusion, RLHF, 강화학습")

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_keywords(value)
        except KeywordError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


class CategoriesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, category):
        return f"{category.emoji} {category.display_name(get_language())}"


class ChoicesForm(forms.Form):
    categories = CategoriesField(
        queryset=Category.objects.active(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="slug",
        label=_("Categories"),
        help_text=_("None: every category."),
    )
    include = KeywordsField(label=_("Keywords"), help_text=_("Comma-separated; a paper needs one."))
    exclude = KeywordsField(
        label=_("Excluded keywords"), help_text=_("A paper with one is left out.")
    )
    language = forms.ChoiceField(
        label=_("Language of the mail"), choices=settings.LANGUAGES, initial="ko"
    )
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Subscriber.Frequency.choices, initial="daily"
    )

    def choices(self) -> Choices:
        data = self.cleaned_data
        return Choices(
            categories=list(data["categories"]),
            include=data["include"],
            exclude=data["exclude"],
            language=data["language"],
            frequency=data["frequency"],
        )

    @classmethod
    def initial_for(cls, subscriber: Subscriber) -> dict:
        return {
            "categories": [c.slug for c in subscriber.categories.all()],
            "include": subscriber.include,
            "exclude": subscriber.exclude,
            "language": subscriber.language,
            "frequency": subscriber.frequency,
        }


class SubscribeForm(ChoicesForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    field_order = ["email"]

    def clean_email(self):
        email = self.cleaned_data["email"]
        try:
            return normalise_email(email)
        except UnicodeError as exc:
            raise forms.ValidationError(_("Enter a valid email address.")) from exc
