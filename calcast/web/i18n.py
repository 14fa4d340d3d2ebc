"""The texts of the subscription pages, in every language a calendar can have (calendars.models.LANGUAGES)."""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_LANGUAGE = "en"

_EN: dict[str, str] = {
    "subscribe_heading": "Add this calendar",
    "choose_topics": "Choose what you want in your calendar",
    "email_label": "E-mail address",
    "email_optional": "(optional)",
    "email_hint": "We use it to recognise you if you subscribe again.",
    "subscribe_button": "Add to my calendar",
    "subscribing": "Adding…",
    "privacy_note": "You can change your topics or unsubscribe at any time with the link in every event.",
    "error_summary": "Please check the form:",
    "error_email_required": "Please enter your e-mail address; this calendar needs it.",
    "error_email_invalid": "This is not a valid e-mail address; please check it.",
    "error_tags": "Please choose at least one topic.",
    "error_form_expired": "The form was open for too long; please press the button again.",
    "error_form_foreign": "This form was sent from another website; please use the form on this page.",
    "error_invalid": "Please check your entries.",
    "added_title": "Choose your calendar app",
    "added_new": "You're subscribed to {title}. Now add it to the calendar app you use:",
    "added_again": "You were already subscribed to {title}; your choices are updated. Add it to your calendar app:",
    "added_inactive": "This subscription has ended; subscribe again to get the events back.",
    "subscribe_again": "Subscribe again",
    "most_likely": "Best for this device",
    "app_apple": "Apple Calendar",
    "app_apple_note": "iPhone, iPad and Mac: tap the button, then confirm with “Subscribe”.",
    "app_google": "Google Calendar",
    "app_google_note": (
        "Opens Google Calendar in the browser: confirm with “Add”. Android phones show it after the next sync."
    ),
    "app_outlook": "Outlook for Windows or Mac",
    "app_outlook_note": "Opens Outlook: confirm with “Yes” to subscribe.",
    "app_outlookcom": "Outlook.com",
    "app_outlookcom_note": "For personal Microsoft accounts: sign in, check the name, then choose “Import”.",
    "app_m365": "Microsoft 365",
    "app_m365_note": "For work or school accounts: sign in, check the name, then choose “Import”.",
    "app_android": "Android",
    "app_android_note": (
        "Android has no button for calendar subscriptions. Copy the address below, open calendar.google.com "
        "in a browser, choose Other calendars → + → From URL and paste it; or paste it into the ICSx⁵ app."
    ),
    "app_android_button": "Open Google Calendar",
    "app_ics": "Download a copy (.ics)",
    "app_ics_note": "A one-time copy for any calendar app: later changes will not reach it.",
    "copy_heading": "Any other calendar app",
    "copy_label": "Calendar address (URL)",
    "copy_note": "Paste this address where your app says “Subscribe”, “Add calendar from URL” or “From Internet”.",
    "copy_button": "Copy address",
    "copied": "Copied",
    "manage_link": "Change topics or unsubscribe",
    "manage_title": "Your subscription",
    "manage_intro": "You are subscribed to {title}.",
    "manage_topics": "Your topics",
    "save_topics": "Save topics",
    "saved_topics": "Your topics are saved. Your calendar app shows the change after its next update.",
    "add_to_app": "Add to another calendar app",
    "unsubscribe_heading": "Unsubscribe",
    "unsubscribe_intro": "The events disappear from your calendar app after its next update.",
    "reason_legend": "Why are you leaving? (optional)",
    "reason_too_many": "Too many events",
    "reason_not_relevant": "The events are not relevant to me",
    "reason_duplicate": "I have this calendar twice",
    "reason_other": "Another reason",
    "reason_text_label": "Anything you want to tell us (optional)",
    "unsubscribe_button": "Unsubscribe",
    "unsubscribed": (
        "You have unsubscribed from {title}. Your calendar app will show it as ended after its next update."
    ),
    "not_found_title": "Page not found",
    "not_found_text": "There is no calendar at this address. Please check the link you followed.",
    "bad_link_title": "This link does not work",
    "bad_link_text": "This link is not valid. Use the link from one of the calendar's events.",
    "too_many_text": (
        "Too many subscriptions came from your network in a short time. Please wait a minute and try again."
    ),
    "close": "Close",
}

_DE: dict[str, str] = {
    "subscribe_heading": "Diesen Kalender hinzufügen",
    "choose_topics": "Wählen Sie, was in Ihrem Kalender erscheinen soll",
    "email_label": "E-Mail-Adresse",
    "email_optional": "(freiwillig)",
    "email_hint": "Daran erkennen wir Sie, wenn Sie erneut abonnieren.",
    "subscribe_button": "Zu meinem Kalender hinzufügen",
    "subscribing": "Wird hinzugefügt …",
    "privacy_note": "Themen ändern oder abbestellen können Sie jederzeit über den Link in jedem Termin.",
    "error_summary": "Bitte prüfen Sie das Formular:",
    "error_email_required": "Bitte geben Sie Ihre E-Mail-Adresse ein; dieser Kalender benötigt sie.",
    "error_email_invalid": "Das ist keine gültige E-Mail-Adresse; bitte prüfen Sie sie.",
    "error_tags": "Bitte wählen Sie mindestens ein Thema.",
    "error_form_expired": "Das Formular war zu lange geöffnet; bitte drücken Sie den Knopf noch einmal.",
    "error_form_foreign": (
        "Dieses Formular kam von einer anderen Website; bitte nutzen Sie das Formular auf dieser Seite."
    ),
    "error_invalid": "Bitte prüfen Sie Ihre Eingaben.",
    "added_title": "Wählen Sie Ihre Kalender-App",
    "added_new": "Sie haben {title} abonniert. Fügen Sie den Kalender jetzt Ihrer Kalender-App hinzu:",
    "added_again": (
        "Sie hatten {title} schon abonniert; Ihre Auswahl ist aktualisiert. Fügen Sie den Kalender Ihrer App hinzu:"
    ),
    "added_inactive": "Dieses Abonnement ist beendet; abonnieren Sie erneut, um die Termine wieder zu erhalten.",
    "subscribe_again": "Erneut abonnieren",
    "most_likely": "Passend für dieses Gerät",
    "app_apple": "Apple Kalender",
    "app_apple_note": "iPhone, iPad und Mac: Knopf antippen, dann mit „Abonnieren“ bestätigen.",
    "app_google": "Google Kalender",
    "app_google_note": (
        "Öffnet Google Kalender im Browser: mit „Hinzufügen“ bestätigen. Android-Telefone zeigen ihn nach dem "
        "nächsten Abgleich."
    ),
    "app_outlook": "Outlook für Windows oder Mac",
    "app_outlook_note": "Öffnet Outlook: mit „Ja“ das Abonnement bestätigen.",
    "app_outlookcom": "Outlook.com",
    "app_outlookcom_note": "Für private Microsoft-Konten: anmelden, Namen prüfen, dann „Importieren“ wählen.",
    "app_m365": "Microsoft 365",
    "app_m365_note": "Für Geschäfts- oder Schulkonten: anmelden, Namen prüfen, dann „Importieren“ wählen.",
    "app_android": "Android",
    "app_android_note": (
        "Android hat keinen Knopf für Kalender-Abonnements. Kopieren Sie die Adresse unten, öffnen Sie "
        "calendar.google.com im Browser, wählen Sie Weitere Kalender → + → Per URL und fügen Sie sie ein; "
        "oder fügen Sie sie in die App ICSx⁵ ein."
    ),
    "app_android_button": "Google Kalender öffnen",
    "app_ics": "Kopie herunterladen (.ics)",
    "app_ics_note": "Eine einmalige Kopie für jede Kalender-App: spätere Änderungen kommen dort nicht an.",
    "copy_heading": "Jede andere Kalender-App",
    "copy_label": "Kalenderadresse (URL)",
    "copy_note": (
        "Fügen Sie diese Adresse dort ein, wo Ihre App „Abonnieren“, „Kalender per URL“ "
        "oder „Aus dem Internet“ anbietet."
    ),
    "copy_button": "Adresse kopieren",
    "copied": "Kopiert",
    "manage_link": "Themen ändern oder abbestellen",
    "manage_title": "Ihr Abonnement",
    "manage_intro": "Sie haben {title} abonniert.",
    "manage_topics": "Ihre Themen",
    "save_topics": "Themen speichern",
    "saved_topics": (
        "Ihre Themen sind gespeichert. Ihre Kalender-App zeigt die Änderung nach ihrer nächsten Aktualisierung."
    ),
    "add_to_app": "Zu einer weiteren Kalender-App hinzufügen",
    "unsubscribe_heading": "Abbestellen",
    "unsubscribe_intro": "Die Termine verschwinden nach der nächsten Aktualisierung aus Ihrer Kalender-App.",
    "reason_legend": "Warum bestellen Sie ab? (freiwillig)",
    "reason_too_many": "Zu viele Termine",
    "reason_not_relevant": "Die Termine interessieren mich nicht",
    "reason_duplicate": "Ich habe den Kalender doppelt",
    "reason_other": "Ein anderer Grund",
    "reason_text_label": "Möchten Sie uns noch etwas sagen? (freiwillig)",
    "unsubscribe_button": "Abbestellen",
    "unsubscribed": (
        "Sie haben {title} abbestellt. Ihre Kalender-App zeigt ihn nach der nächsten Aktualisierung als beendet."
    ),
    "not_found_title": "Seite nicht gefunden",
    "not_found_text": "Unter dieser Adresse gibt es keinen Kalender. Bitte prüfen Sie den Link.",
    "bad_link_title": "Dieser Link funktioniert nicht",
    "bad_link_text": "Dieser Link ist nicht gültig. Nutzen Sie den Link aus einem der Termine des Kalenders.",
    "too_many_text": (
        "Aus Ihrem Netz kamen in kurzer Zeit zu viele Anmeldungen. Bitte warten Sie eine "
        "Minute und versuchen Sie es erneut."
    ),
    "close": "Schließen",
}

TEXTS: Mapping[str, Mapping[str, str]] = {"en": _EN, "de": _DE}

# Why a subscriber leaves: the id is stored (deactivation_reason_id), the label is shown.
UNSUBSCRIBE_REASONS = ("too_many", "not_relevant", "duplicate", "other")


def texts(language: str | None) -> Mapping[str, str]:
    """The page texts in the calendar's language, English when the language has none."""
    return TEXTS.get((language or "").lower()[:2], TEXTS[DEFAULT_LANGUAGE])


def language_from_header(accept_language: str | None) -> str:
    """The first supported language the browser asks for, for pages that belong to no calendar."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in TEXTS:
            return code
    return DEFAULT_LANGUAGE
