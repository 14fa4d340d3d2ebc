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
    # --- audiences and subscribers (console)
    "console_audiences": "Audiences",
    "console_audiences_intro": (
        "Send one event to a list of people: upload a CSV file, check which subscribers it matches, define "
        "the event and send it. It reaches feeds, webhooks and Braze exactly as the personal-event API does."
    ),
    "console_audience_upload": "Upload an audience",
    "console_audience_file": "CSV file",
    "console_audience_file_hint": (
        "UTF-8, comma, semicolon or tab separated, optionally gzip-compressed (.csv.gz); one person per row. "
        "You choose the column and what it holds on the next page."
    ),
    "console_audience_upload_button": "Upload",
    "console_audience_read_only": "As a viewer you can look at audiences but not upload or send them.",
    "console_audience_uploads": "Uploaded audiences",
    "console_audience_uploaded_at": "Uploaded",
    "console_audience_status": "Status",
    "console_audience_subscriptions": "Subscriptions matched",
    "console_audience_event": "The event",
    "console_audience_none": "No audience uploaded yet.",
    "console_audience_missing": "There is no such audience in this account.",
    "console_audience_status_uploaded": "Uploaded: choose the column",
    "console_audience_status_matched": "Matched: define the event",
    "console_audience_status_ready": "Ready to send",
    "console_audience_status_sending": "Sending",
    "console_audience_status_sent": "Sent",
    "console_audience_status_failed": "Stopped",
    "console_audience_column": "Which column identifies the subscribers?",
    "console_audience_preview": "The first rows of the file",
    "console_audience_column_number": "Column {number}",
    "console_audience_column_label": "Column",
    "console_audience_kind": "The column holds",
    "console_audience_kind_subscription_id": "Subscription ids",
    "console_audience_kind_external_id": "External ids (the brand's user ids)",
    "console_audience_kind_email": "E-mail addresses",
    "console_audience_has_header": "The first row is a header (not a person)",
    "console_audience_match_button": "Match the file",
    "console_audience_report": "Match report",
    "console_audience_report_intro": "{rows} rows read; column {column} as {kind}. Nothing is sent yet.",
    "console_audience_report_matched": "matched (at least one active subscription)",
    "console_audience_report_unknown": "unknown (no subscription in this account)",
    "console_audience_report_inactive": "inactive (only ended subscriptions)",
    "console_audience_report_duplicates": "duplicates (counted once)",
    "console_audience_examples": "Examples",
    "console_audience_blank": "{count} rows had an empty cell in this column and were skipped.",
    "console_audience_reach": "The event would reach {count} active subscriptions.",
    "console_audience_event_intro": (
        "The same fields and rules as the personal-event API (POST /v1/subscriptionevent). Times are local "
        "times in the time zone."
    ),
    "console_event_id": "Event id",
    "console_event_id_hint": "Your own id for this event; it must be new in this account.",
    "console_event_title": "Title",
    "console_event_start": "Start",
    "console_event_end": "End (optional)",
    "console_event_timezone": "Time zone",
    "console_event_timezone_hint": (
        "An IANA name such as Europe/Berlin, or a Windows name such as W. Europe Standard Time."
    ),
    "console_event_all_day": "All-day event",
    "console_event_notify_before": "Reminder, minutes before (optional)",
    "console_event_location": "Location (optional)",
    "console_event_url": "Link (optional)",
    "console_event_description": "Description (optional)",
    "console_event_visible_from": "Hidden until, UTC (optional)",
    "console_audience_event_button": "Check the event",
    "console_audience_confirm": "Confirm and send",
    "console_audience_confirm_text": "Send “{title}” ({start}, {timezone}) to {count} subscriptions?",
    "console_audience_send_button": "Send to {count} subscriptions",
    "console_audience_progress": "Progress",
    "console_audience_progress_text": "{sent} of {total} subscriptions done; the event was added to {attached} feeds.",
    "console_audience_ended_since": "{count} subscriptions ended after the match report and were left out.",
    "console_audience_refreshing": "This page reloads by itself every few seconds until the send is done.",
    "console_audience_sent_at": "Finished at {at} UTC.",
    "console_subscribers": "Subscribers",
    "console_subscriber": "Subscriber",
    "console_subscriber_search_label": "Search and filter subscribers",
    "console_subscriber_search": "E-mail, external id or subscription id",
    "console_subscriber_search_hint": "The search finds the exact value (e-mail addresses in any case).",
    "console_filter_calendar": "Calendar",
    "console_filter_tag": "Tag",
    "console_filter_status": "Status",
    "console_filter_method": "Method",
    "console_filter_app": "Calendar app",
    "console_filter_any": "Any",
    "console_filter_apply": "Show",
    "console_status_active": "Active",
    "console_status_ended": "Ended",
    "console_status_lapsed": "Lapsed",
    "console_subscriber_export": "Download these subscribers as CSV",
    "console_subscriber_who": "Subscriber",
    "console_subscriber_since": "Subscribed",
    "console_subscriber_none": "No subscriber matches.",
    "console_pages": "Pages",
    "console_first_page": "First page",
    "console_next_page": "Next page",
    "console_subscriber_missing": "There is no such subscriber in this account.",
    "console_subscriber_id": "Subscription id",
    "console_subscriber_external_id": "External id",
    "console_subscriber_opt_ins": "Opt-ins",
    "console_subscriber_opt_in_1": "First",
    "console_subscriber_opt_in_2": "Second",
    "console_yes": "yes",
    "console_no": "no",
    "console_subscriber_source": "Source",
    "console_subscriber_referrer": "Referrer",
    "console_subscriber_device": "Device",
    "console_subscriber_last_seen": "Last seen (feed poll)",
    "console_subscriber_polls": "{count} polls",
    "console_subscriber_crm": "Braze match",
    "console_subscriber_events": "Personal events",
    "console_subscriber_no_events": "No personal events.",
    "console_subscriber_sync": "Braze sync",
    "console_subscriber_webhooks": "Webhook deliveries",
    "console_delivery_kind": "Kind",
    "console_delivery_topic": "Change",
    "console_delivery_attempts": "Attempts",
    "console_delivery_at": "At (UTC)",
    "console_delivery_answer": "Last answer",
    "console_delivery_none": "Nothing was sent.",
    "console_subscriber_deactivate": "End this subscription",
    "console_subscriber_deactivate_note": (
        "As if the subscriber unsubscribed on their manage page: the feed empties, Braze and webhooks are told."
    ),
    "console_subscriber_deactivate_button": "End the subscription",
    "console_subscriber_privacy": "Personal data (GDPR)",
    "console_subscriber_gdpr_export": "Download everything stored about this person (JSON)",
    "console_subscriber_forget_note": (
        "Erasing unsubscribes {person} from every calendar of the account and deletes what identifies them. "
        "It cannot be undone."
    ),
    "console_subscriber_forget_confirm": "Yes, erase this person's data",
    "console_subscriber_forget_button": "Erase the personal data",
    "console_forget_unconfirmed": "Tick the box to confirm the erasure; nothing was erased.",
    "console_subscriber_anonymous": (
        "This subscription has neither an external id nor an e-mail address: there is no person to export or erase."
    ),
    "console_subscriber_notice_ended": "The subscription has ended.",
    "console_subscriber_notice_forgotten": "The person's data is erased.",
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
    # --- audiences and subscribers (console)
    "console_audiences": "Zielgruppen",
    "console_audiences_intro": (
        "Einen Termin an eine Liste von Personen senden: eine CSV-Datei hochladen, prüfen, welche Abonnenten "
        "sie trifft, den Termin festlegen und senden. Er erreicht Feeds, Webhooks und Braze genau wie über "
        "die API für persönliche Termine."
    ),
    "console_audience_upload": "Zielgruppe hochladen",
    "console_audience_file": "CSV-Datei",
    "console_audience_file_hint": (
        "UTF-8, durch Komma, Semikolon oder Tabulator getrennt, gern gzip-komprimiert (.csv.gz); eine Person "
        "je Zeile. Spalte und Inhalt wählen Sie auf der nächsten Seite."
    ),
    "console_audience_upload_button": "Hochladen",
    "console_audience_read_only": "Als Betrachter sehen Sie Zielgruppen, können sie aber nicht hochladen oder senden.",
    "console_audience_uploads": "Hochgeladene Zielgruppen",
    "console_audience_uploaded_at": "Hochgeladen",
    "console_audience_status": "Stand",
    "console_audience_subscriptions": "Getroffene Abonnements",
    "console_audience_event": "Der Termin",
    "console_audience_none": "Noch keine Zielgruppe hochgeladen.",
    "console_audience_missing": "Diese Zielgruppe gibt es in diesem Konto nicht.",
    "console_audience_status_uploaded": "Hochgeladen: Spalte wählen",
    "console_audience_status_matched": "Abgeglichen: Termin festlegen",
    "console_audience_status_ready": "Bereit zum Senden",
    "console_audience_status_sending": "Wird gesendet",
    "console_audience_status_sent": "Gesendet",
    "console_audience_status_failed": "Abgebrochen",
    "console_audience_column": "Welche Spalte bezeichnet die Abonnenten?",
    "console_audience_preview": "Die ersten Zeilen der Datei",
    "console_audience_column_number": "Spalte {number}",
    "console_audience_column_label": "Spalte",
    "console_audience_kind": "Die Spalte enthält",
    "console_audience_kind_subscription_id": "Abonnement-IDs",
    "console_audience_kind_external_id": "Externe IDs (die Nutzer-IDs der Marke)",
    "console_audience_kind_email": "E-Mail-Adressen",
    "console_audience_has_header": "Die erste Zeile ist eine Überschrift (keine Person)",
    "console_audience_match_button": "Datei abgleichen",
    "console_audience_report": "Abgleich",
    "console_audience_report_intro": "{rows} Zeilen gelesen; Spalte {column} als {kind}. Noch ist nichts gesendet.",
    "console_audience_report_matched": "getroffen (mindestens ein aktives Abonnement)",
    "console_audience_report_unknown": "unbekannt (kein Abonnement in diesem Konto)",
    "console_audience_report_inactive": "inaktiv (nur beendete Abonnements)",
    "console_audience_report_duplicates": "doppelt (einmal gezählt)",
    "console_audience_examples": "Beispiele",
    "console_audience_blank": "{count} Zeilen hatten in dieser Spalte eine leere Zelle und wurden übersprungen.",
    "console_audience_reach": "Der Termin würde {count} aktive Abonnements erreichen.",
    "console_audience_event_intro": (
        "Dieselben Felder und Regeln wie bei der API für persönliche Termine (POST /v1/subscriptionevent). "
        "Zeiten sind Ortszeiten in der Zeitzone."
    ),
    "console_event_id": "Termin-ID",
    "console_event_id_hint": "Ihre eigene ID für diesen Termin; sie muss in diesem Konto neu sein.",
    "console_event_title": "Titel",
    "console_event_start": "Beginn",
    "console_event_end": "Ende (optional)",
    "console_event_timezone": "Zeitzone",
    "console_event_timezone_hint": "Ein IANA-Name wie Europe/Berlin oder ein Windows-Name wie W. Europe Standard Time.",
    "console_event_all_day": "Ganztägig",
    "console_event_notify_before": "Erinnerung, Minuten vorher (optional)",
    "console_event_location": "Ort (optional)",
    "console_event_url": "Link (optional)",
    "console_event_description": "Beschreibung (optional)",
    "console_event_visible_from": "Verborgen bis, UTC (optional)",
    "console_audience_event_button": "Termin prüfen",
    "console_audience_confirm": "Bestätigen und senden",
    "console_audience_confirm_text": "„{title}“ ({start}, {timezone}) an {count} Abonnements senden?",
    "console_audience_send_button": "An {count} Abonnements senden",
    "console_audience_progress": "Fortschritt",
    "console_audience_progress_text": (
        "{sent} von {total} Abonnements erledigt; der Termin wurde {attached} Feeds hinzugefügt."
    ),
    "console_audience_ended_since": "{count} Abonnements endeten nach dem Abgleich und wurden ausgelassen.",
    "console_audience_refreshing": "Diese Seite lädt sich alle paar Sekunden neu, bis der Versand fertig ist.",
    "console_audience_sent_at": "Fertig um {at} UTC.",
    "console_subscribers": "Abonnenten",
    "console_subscriber": "Abonnent",
    "console_subscriber_search_label": "Abonnenten suchen und filtern",
    "console_subscriber_search": "E-Mail, externe ID oder Abonnement-ID",
    "console_subscriber_search_hint": (
        "Die Suche findet den genauen Wert (E-Mail-Adressen unabhängig von Groß- und Kleinschreibung)."
    ),
    "console_filter_calendar": "Kalender",
    "console_filter_tag": "Thema",
    "console_filter_status": "Stand",
    "console_filter_method": "Methode",
    "console_filter_app": "Kalender-App",
    "console_filter_any": "Alle",
    "console_filter_apply": "Anzeigen",
    "console_status_active": "Aktiv",
    "console_status_ended": "Beendet",
    "console_status_lapsed": "Eingeschlafen",
    "console_subscriber_export": "Diese Abonnenten als CSV herunterladen",
    "console_subscriber_who": "Abonnent",
    "console_subscriber_since": "Abonniert",
    "console_subscriber_none": "Kein Abonnent passt.",
    "console_pages": "Seiten",
    "console_first_page": "Erste Seite",
    "console_next_page": "Nächste Seite",
    "console_subscriber_missing": "Diesen Abonnenten gibt es in diesem Konto nicht.",
    "console_subscriber_id": "Abonnement-ID",
    "console_subscriber_external_id": "Externe ID",
    "console_subscriber_opt_ins": "Einwilligungen",
    "console_subscriber_opt_in_1": "Erste",
    "console_subscriber_opt_in_2": "Zweite",
    "console_yes": "ja",
    "console_no": "nein",
    "console_subscriber_source": "Quelle",
    "console_subscriber_referrer": "Verweis",
    "console_subscriber_device": "Gerät",
    "console_subscriber_last_seen": "Zuletzt gesehen (Feed-Abruf)",
    "console_subscriber_polls": "{count} Abrufe",
    "console_subscriber_crm": "Braze-Zuordnung",
    "console_subscriber_events": "Persönliche Termine",
    "console_subscriber_no_events": "Keine persönlichen Termine.",
    "console_subscriber_sync": "Braze-Abgleich",
    "console_subscriber_webhooks": "Webhook-Zustellungen",
    "console_delivery_kind": "Art",
    "console_delivery_topic": "Änderung",
    "console_delivery_attempts": "Versuche",
    "console_delivery_at": "Zeit (UTC)",
    "console_delivery_answer": "Letzte Antwort",
    "console_delivery_none": "Nichts gesendet.",
    "console_subscriber_deactivate": "Dieses Abonnement beenden",
    "console_subscriber_deactivate_note": (
        "Als hätte der Abonnent auf seiner Verwaltungsseite gekündigt: der Feed wird leer, Braze und Webhooks"
        " erfahren es."
    ),
    "console_subscriber_deactivate_button": "Abonnement beenden",
    "console_subscriber_privacy": "Personenbezogene Daten (DSGVO)",
    "console_subscriber_gdpr_export": "Alles über diese Person Gespeicherte herunterladen (JSON)",
    "console_subscriber_forget_note": (
        "Löschen beendet die Abonnements von {person} in allen Kalendern des Kontos und entfernt, was die "
        "Person erkennbar macht. Das lässt sich nicht rückgängig machen."
    ),
    "console_subscriber_forget_confirm": "Ja, die Daten dieser Person löschen",
    "console_subscriber_forget_button": "Personenbezogene Daten löschen",
    "console_forget_unconfirmed": "Setzen Sie das Häkchen, um das Löschen zu bestätigen; nichts wurde gelöscht.",
    "console_subscriber_anonymous": (
        "Dieses Abonnement hat weder eine externe ID noch eine E-Mail-Adresse: es gibt keine Person zum "
        "Exportieren oder Löschen."
    ),
    "console_subscriber_notice_ended": "Das Abonnement ist beendet.",
    "console_subscriber_notice_forgotten": "Die Daten der Person sind gelöscht.",
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
