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
    # The web console (calcast.console)
    "console_title": "calcast console",
    "console_nav": "Console",
    "console_sign_in_heading": "Sign in to the console",
    "console_email": "E-mail address",
    "console_password": "Password",
    "console_sign_in_button": "Sign in",
    "console_wrong_password": "The e-mail address or the password is wrong.",
    "console_too_many": "Too many failed sign-ins; wait 15 minutes and try again.",
    "console_form_foreign": "This form was sent from another website; open the console yourself and try again.",
    "console_form_expired": (
        "The form was open for too long or belongs to an earlier sign-in; reload the page and try again."
    ),
    "console_link_spent": (
        "This link is not valid: it was used already, has expired or is incomplete. "
        "Ask an owner of your account for a new one."
    ),
    "console_password_heading": "Choose your password",
    "console_password_intro": "For {email}. At least 12 characters; a sentence you remember works well.",
    "console_password_again": "The same password again",
    "console_passwords_differ": "The two passwords differ; type the same password twice.",
    "console_password_length": "The password must be 12 to 1024 characters long.",
    "console_set_password": "Save the password and sign in",
    "console_refused_title": "Not available",
    "console_no_account": "There is no account at this address that you have access to.",
    "console_role_too_low": "Your role in this account does not allow this; ask one of its owners.",
    "console_accounts_heading": "Your accounts",
    "console_no_accounts": "You belong to no account yet; ask an owner to add you.",
    "console_role": "Role",
    "console_role_owner": "Owner",
    "console_role_editor": "Editor",
    "console_role_viewer": "Viewer",
    "console_signed_in_as": "Signed in as {email}",
    "console_sign_out": "Sign out",
    "console_sign_out_everywhere": "Sign out on every device",
    "console_sign_out_everywhere_note": "Ends your sessions in every browser, this one included.",
    "console_switch_account": "Switch account",
    "console_dashboard": "Dashboard",
    "console_calendars": "Calendars",
    "console_people": "People",
    "console_range": "Period",
    "console_range_1d": "Last 24 hours",
    "console_range_7d": "Last 7 days",
    "console_range_30d": "Last 30 days",
    "console_range_all": "All time",
    "console_tile_active": "Active subscribers",
    "console_tile_new": "New subscribers",
    "console_tile_unsubscribed": "Unsubscribed",
    "console_tile_lapsed": "Lapsed",
    "console_change": "{change} against the period before",
    "console_no_previous": "no period before to compare with",
    "console_same_as_cli": "The same numbers, per calendar:",
    "console_chart_title_day": "New subscribers and unsubscribes per day",
    "console_chart_title_month": "New subscribers and unsubscribes per month",
    "console_chart_desc": "{new} new and {unsubscribed} unsubscribed in this period (UTC days).",
    "console_axis_day": "Day (UTC)",
    "console_axis_month": "Month (UTC)",
    "console_axis_count": "Subscriptions",
    "console_legend_new": "New",
    "console_legend_unsubscribed": "Unsubscribed",
    "console_chart_table": "Show the numbers as a table",
    "console_calendar_code": "Code",
    "console_calendar_code_hint": "Part of the landing page address: lowercase letters, digits and hyphens.",
    "console_calendar_title": "Title",
    "console_calendar_tags": "Tags",
    "console_calendar_tags_hint": "One per line or separated by commas; the first is preselected.",
    "console_new_calendar": "New calendar",
    "console_create_calendar": "Create calendar",
    "console_calendar_created": "The calendar {code} is created.",
    "console_no_calendars": "No calendars yet.",
    "console_landing_page": "Landing page",
    "console_read_only": "As a viewer you can look at the calendars but not change them.",
    "console_error_summary": "Please check the form:",
    "console_people_note": (
        "People are added, changed and removed with calcast user create, calcast user list and calcast user remove."
    ),
    "console_last_sign_in": "Last sign-in",
    "console_never": "never",
    # --- push subscription methods
    "push_heading": "Or let calcast write the events into your calendar",
    "push_google": "Google Calendar, directly",
    "push_google_note": (
        "calcast makes its own calendar in your Google account and writes the events itself: they arrive within "
        "seconds and their reminders ring. calcast sees only the calendar it makes."
    ),
    "push_caldav": "iCloud, Fastmail or another CalDAV account",
    "push_caldav_note": (
        "calcast makes its own calendar in your account, with an app password you create for it. An app password "
        "opens your whole calendar account; you can revoke it at any time."
    ),
    "push_back": "Back",
    "push_connected_title": "Your calendar is connected",
    "push_microsoft": "Outlook or Microsoft 365, directly",
    "push_microsoft_note": (
        "calcast makes its own calendar in your Outlook and writes the events itself: they arrive within seconds "
        "and their reminders ring. Microsoft asks to let calcast read and write your calendars."
    ),
    "push_connected_text": (
        "calcast is making its calendar in your account; the events appear there within seconds. To stop, "
        "unsubscribe on the manage page: the calendar is then removed."
    ),
    "push_declined_title": "Nothing was connected",
    "push_declined_text": "You did not allow calcast to make its calendar. The calendar link still works.",
    "push_failed_title": "Your calendar provider did not answer",
    "push_failed_text": (
        "Your calendar provider could not confirm the connection just now. Please try again, or use the calendar link."
    ),
    "push_scope_title": "A permission is missing",
    "push_scope_text": (
        "calcast needs the permission to make its own calendar. Please try again and leave that box ticked, or use "
        "the calendar link."
    ),
    "push_ended_title": "This subscription has ended",
    "push_ended_text": "Subscribe again to connect a calendar.",
    "push_caldav_title": "Connect a CalDAV calendar",
    "push_caldav_server": "Provider",
    "push_caldav_other": "Other server",
    "push_caldav_url": "Server address (for another server)",
    "push_caldav_username": "User name (often your e-mail address)",
    "push_caldav_password": "App password",
    "push_caldav_password_note": (
        "Create an app password for calcast in your account's security settings (iCloud: appleid.apple.com; "
        "Fastmail: Settings › Privacy & Security › App passwords) rather than using your own password."
    ),
    "push_caldav_submit": "Connect",
    "push_caldav_error_auth": "The server refused this user name and app password. Please check both.",
    "push_caldav_error_server": (
        "That server could not be reached, or it is not a CalDAV server. Please check the address."
    ),
    "push_caldav_error_url": "Please enter the server's https address, for example https://dav.example.com/.",
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
    # The web console (calcast.console)
    "console_title": "calcast-Konsole",
    "console_nav": "Konsole",
    "console_sign_in_heading": "Bei der Konsole anmelden",
    "console_email": "E-Mail-Adresse",
    "console_password": "Passwort",
    "console_sign_in_button": "Anmelden",
    "console_wrong_password": "Die E-Mail-Adresse oder das Passwort ist falsch.",
    "console_too_many": "Zu viele fehlgeschlagene Anmeldungen; warten Sie 15 Minuten und versuchen Sie es erneut.",
    "console_form_foreign": (
        "Dieses Formular kam von einer anderen Website; öffnen Sie die Konsole selbst und versuchen Sie es erneut."
    ),
    "console_form_expired": (
        "Das Formular war zu lange geöffnet oder gehört zu einer früheren Anmeldung; laden Sie die Seite neu."
    ),
    "console_link_spent": (
        "Dieser Link ist nicht gültig: Er wurde schon benutzt, ist abgelaufen oder unvollständig. "
        "Bitten Sie eine Inhaberin oder einen Inhaber Ihres Kontos um einen neuen."
    ),
    "console_password_heading": "Wählen Sie Ihr Passwort",
    "console_password_intro": "Für {email}. Mindestens 12 Zeichen; ein Satz, den Sie sich merken, eignet sich gut.",
    "console_password_again": "Dasselbe Passwort noch einmal",
    "console_passwords_differ": "Die beiden Passwörter unterscheiden sich; geben Sie zweimal dasselbe ein.",
    "console_password_length": "Das Passwort muss 12 bis 1024 Zeichen lang sein.",
    "console_set_password": "Passwort speichern und anmelden",
    "console_refused_title": "Nicht verfügbar",
    "console_no_account": "Unter dieser Adresse gibt es kein Konto, auf das Sie Zugriff haben.",
    "console_role_too_low": (
        "Ihre Rolle in diesem Konto erlaubt das nicht; fragen Sie eine Inhaberin oder einen Inhaber."
    ),
    "console_accounts_heading": "Ihre Konten",
    "console_no_accounts": "Sie gehören noch zu keinem Konto; bitten Sie eine Inhaberin oder einen Inhaber darum.",
    "console_role": "Rolle",
    "console_role_owner": "Inhaber",
    "console_role_editor": "Bearbeiter",
    "console_role_viewer": "Betrachter",
    "console_signed_in_as": "Angemeldet als {email}",
    "console_sign_out": "Abmelden",
    "console_sign_out_everywhere": "Auf allen Geräten abmelden",
    "console_sign_out_everywhere_note": "Beendet Ihre Sitzungen in allen Browsern, auch in diesem.",
    "console_switch_account": "Konto wechseln",
    "console_dashboard": "Übersicht",
    "console_calendars": "Kalender",
    "console_people": "Personen",
    "console_range": "Zeitraum",
    "console_range_1d": "Letzte 24 Stunden",
    "console_range_7d": "Letzte 7 Tage",
    "console_range_30d": "Letzte 30 Tage",
    "console_range_all": "Gesamter Zeitraum",
    "console_tile_active": "Aktive Abonnenten",
    "console_tile_new": "Neue Abonnenten",
    "console_tile_unsubscribed": "Abbestellt",
    "console_tile_lapsed": "Inaktiv",
    "console_change": "{change} gegenüber dem Zeitraum davor",
    "console_no_previous": "kein Zeitraum davor zum Vergleich",
    "console_same_as_cli": "Dieselben Zahlen je Kalender:",
    "console_chart_title_day": "Neue Abonnenten und Abbestellungen pro Tag",
    "console_chart_title_month": "Neue Abonnenten und Abbestellungen pro Monat",
    "console_chart_desc": "{new} neu und {unsubscribed} abbestellt in diesem Zeitraum (Tage in UTC).",
    "console_axis_day": "Tag (UTC)",
    "console_axis_month": "Monat (UTC)",
    "console_axis_count": "Abonnements",
    "console_legend_new": "Neu",
    "console_legend_unsubscribed": "Abbestellt",
    "console_chart_table": "Die Zahlen als Tabelle zeigen",
    "console_calendar_code": "Kürzel",
    "console_calendar_code_hint": "Teil der Adresse der Landingpage: Kleinbuchstaben, Ziffern und Bindestriche.",
    "console_calendar_title": "Titel",
    "console_calendar_tags": "Themen",
    "console_calendar_tags_hint": "Eines pro Zeile oder durch Kommas getrennt; das erste ist vorausgewählt.",
    "console_new_calendar": "Neuer Kalender",
    "console_create_calendar": "Kalender anlegen",
    "console_calendar_created": "Der Kalender {code} ist angelegt.",
    "console_no_calendars": "Noch keine Kalender.",
    "console_landing_page": "Landingpage",
    "console_read_only": "Als Betrachter können Sie die Kalender ansehen, aber nicht ändern.",
    "console_error_summary": "Bitte prüfen Sie das Formular:",
    "console_people_note": (
        "Personen werden mit calcast user create, calcast user list und calcast user remove hinzugefügt, "
        "geändert und entfernt."
    ),
    "console_last_sign_in": "Letzte Anmeldung",
    "console_never": "nie",
    # --- push subscription methods
    "push_heading": "Oder calcast trägt die Termine selbst in Ihren Kalender ein",
    "push_google": "Google Kalender, direkt",
    "push_google_note": (
        "calcast legt einen eigenen Kalender in Ihrem Google-Konto an und trägt die Termine selbst ein: Sie sind "
        "in Sekunden da und ihre Erinnerungen klingeln. calcast sieht nur den Kalender, den es anlegt."
    ),
    "push_caldav": "iCloud, Fastmail oder ein anderes CalDAV-Konto",
    "push_caldav_note": (
        "calcast legt einen eigenen Kalender in Ihrem Konto an, mit einem App-Passwort, das Sie dafür erstellen. "
        "Ein App-Passwort öffnet Ihr ganzes Kalenderkonto; Sie können es jederzeit widerrufen."
    ),
    "push_back": "Zurück",
    "push_connected_title": "Ihr Kalender ist verbunden",
    "push_microsoft": "Outlook oder Microsoft 365, direkt",
    "push_microsoft_note": (
        "calcast legt einen eigenen Kalender in Ihrem Outlook an und trägt die Termine selbst ein: Sie sind in "
        "Sekunden da und ihre Erinnerungen klingeln. Microsoft fragt, ob calcast Ihre Kalender lesen und "
        "schreiben darf."
    ),
    "push_connected_text": (
        "calcast legt seinen Kalender in Ihrem Konto an; die Termine erscheinen dort in Sekunden. Zum Beenden "
        "bestellen Sie auf der Verwaltungsseite ab: Der Kalender wird dann entfernt."
    ),
    "push_declined_title": "Nichts wurde verbunden",
    "push_declined_text": "Sie haben calcast nicht erlaubt, seinen Kalender anzulegen. Der Kalender-Link gilt weiter.",
    "push_failed_title": "Ihr Kalenderanbieter hat nicht geantwortet",
    "push_failed_text": (
        "Ihr Kalenderanbieter konnte die Verbindung gerade nicht bestätigen. Bitte versuchen Sie es erneut oder "
        "nutzen Sie den Kalender-Link."
    ),
    "push_scope_title": "Eine Berechtigung fehlt",
    "push_scope_text": (
        "calcast braucht die Berechtigung, einen eigenen Kalender anzulegen. Bitte versuchen Sie es erneut und "
        "lassen Sie das Häkchen gesetzt, oder nutzen Sie den Kalender-Link."
    ),
    "push_ended_title": "Dieses Abonnement ist beendet",
    "push_ended_text": "Abonnieren Sie erneut, um einen Kalender zu verbinden.",
    "push_caldav_title": "CalDAV-Kalender verbinden",
    "push_caldav_server": "Anbieter",
    "push_caldav_other": "Anderer Server",
    "push_caldav_url": "Serveradresse (für einen anderen Server)",
    "push_caldav_username": "Benutzername (oft Ihre E-Mail-Adresse)",
    "push_caldav_password": "App-Passwort",
    "push_caldav_password_note": (
        "Erstellen Sie in den Sicherheitseinstellungen Ihres Kontos ein App-Passwort für calcast (iCloud: "
        "appleid.apple.com; Fastmail: Einstellungen › Datenschutz & Sicherheit › App-Passwörter), statt Ihr "
        "eigenes Passwort zu verwenden."
    ),
    "push_caldav_submit": "Verbinden",
    "push_caldav_error_auth": "Der Server hat Benutzername und App-Passwort abgelehnt. Bitte prüfen Sie beides.",
    "push_caldav_error_server": (
        "Dieser Server war nicht erreichbar oder ist kein CalDAV-Server. Bitte prüfen Sie die Adresse."
    ),
    "push_caldav_error_url": "Bitte geben Sie die https-Adresse des Servers ein, zum Beispiel https://dav.example.com/.",
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
