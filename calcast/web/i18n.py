"""The texts of the subscription pages, in every language a calendar can have (calendars.models.LANGUAGES)."""

from __future__ import annotations

from collections.abc import Mapping

from calcast.core.errors import DomainError, Problems

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
    "console_no_share": "no share in one of the two periods to compare",
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
    "console_last_sign_in": "Last sign-in",
    "console_never": "never",
    # --- console calendars and events
    "console_no_calendar": "There is no such calendar in this account.",
    "console_no_event": "There is no such event in this calendar; it may have been deleted.",
    "console_events": "Events",
    "console_events_of": "Events of {title}",
    "console_calendar_sections": "Parts of this page",
    "console_settings": "Settings",
    "console_preview": "Landing page preview",
    "console_preview_note": "The landing page as visitors see it now; save to see a change.",
    "console_preview_frame": "Preview of the landing page of {title}",
    "console_open_landing": "Open the landing page",
    "console_share": "Links to share",
    "console_saved_settings": "The settings are saved; feeds show the change at their next update.",
    "console_saved_tags": "The tags are saved.",
    "console_calendar_name": "Name",
    "console_calendar_name_hint": "What the console and reports call the calendar.",
    "console_subscription_title": "Subscription title",
    "console_subscription_title_hint": "What subscribers see in their calendar app; empty: the name.",
    "console_description": "Description",
    "console_image_url": "Image address",
    "console_language": "Language of the landing page",
    "console_language_en": "English",
    "console_language_de": "German",
    "console_email_capture": "E-mail address on the landing page",
    "console_email_capture_off": "Not asked",
    "console_email_capture_optional": "Optional",
    "console_email_capture_required": "Required",
    "console_opt_in1": "First consent checkbox (optIn1), empty: none",
    "console_opt_in2": "Second consent checkbox (optIn2), empty: none",
    "console_default_duration": "Default event length in minutes (for events without an end)",
    "console_identity": "External ids in landing page links",
    "console_identity_signed": "Count only when signed with the account's link key (safe)",
    "console_identity_unsigned": "Take any external id as given",
    "console_flags": "Braze and links",
    "console_merge_flag": "Braze arrays add up (merge) instead of being replaced",
    "console_fallback_flag": "Without external id or e-mail, use the subscription id as Braze external_id",
    "console_click_tracking": "Count clicks on event links (through calcast's redirect)",
    "console_track_text_links": "Also count clicks on links in descriptions and locations",
    "console_save_settings": "Save settings",
    "console_save": "Save",
    "console_tags_note": "The landing page lists the tags in this order; preselected tags are ticked for visitors.",
    "console_tags_drag": "Drag a tag, or use its ↑ and ↓ buttons, to change the order.",
    "console_no_tags": "No tags: every subscriber gets every event.",
    "console_tag_name": "Tag name",
    "console_tag_name_of": "Name of tag {number}",
    "console_tag_image": "Tag image address (optional)",
    "console_tag_image_of": "Image address of {name}",
    "console_tag_image_placeholder": "Image address (optional)",
    "console_tag_default": "Preselected",
    "console_add_tag": "Add tag",
    "console_move_up": "Move {name} up",
    "console_move_down": "Move {name} down",
    "console_subscribe_link": "Subscribe link (landing page)",
    "console_copy": "Copy",
    "console_signed_link": "Signed link for one person",
    "console_signed_link_note": (
        "Your user id (Braze external_id), signed with the account's link key: the same link as "
        "calcast calendar link {account} {code} --external-id ID."
    ),
    "console_external_id": "External id",
    "console_sign_link": "Make the signed link",
    "console_signed_url_for": "Signed link for {external_id}",
    "console_button_snippet": "Button for your website",
    "console_button_snippet_note": (
        "Paste these two lines into your page; the link opens the landing page in a lightbox."
    ),
    "console_events_when": "Which events",
    "console_events_upcoming": "Upcoming",
    "console_events_past": "Past",
    "console_events_search": "Search by title",
    "console_search": "Search",
    "console_new_event": "New event",
    "console_no_events": "No events here yet.",
    "console_no_events_found": "No event title contains these words.",
    "console_event_title": "Title",
    "console_event_when": "When",
    "console_event_reminder": "Reminder",
    "console_event_everyone": "everyone",
    "console_minutes_before": "{minutes} minutes before",
    "console_event_deleted": "The event is deleted; calendar apps remove it at their next update.",
    "console_event_added": "The event is added; calendar apps show it at their next update.",
    "console_event_saved": "The event is saved; calendar apps update it at their next update.",
    "console_event_sequence": "Version {sequence}: each visible change raises it, so calendar apps take the new one.",
    "console_event_details": "Event details",
    "console_event_all_day": "All day",
    "console_event_start": "Start (in the event's time zone)",
    "console_event_end": "End (optional)",
    "console_event_end_hint": "Empty: the start plus {minutes} minutes, the calendar's default. All day: the last day.",
    "console_event_timezone": "Time zone",
    "console_event_timezone_hint": (
        "An IANA name such as Europe/Berlin or a Windows name such as W. Europe Standard Time."
    ),
    "console_event_tags": "Who gets it",
    "console_event_tags_hint": "Subscribers of the ticked tags; none ticked: every subscriber.",
    "console_event_reminder_minutes": "Reminder, minutes before the start (optional)",
    "console_event_location": "Location",
    "console_event_url": "Link (https://…)",
    "console_event_visible_from": "Hidden until (UTC, optional)",
    "console_event_visible_from_hint": "Feeds show the event from this time on.",
    "console_event_preview_button": "Preview",
    "console_add_event": "Add event",
    "console_save_event": "Save event",
    "console_delete_event": "Delete event",
    "console_event_preview": "In a calendar app",
    "console_event_preview_note": "The time is shown in your own time zone, as your calendar app would show it.",
    "console_event_for": "For: {tags}",
    "console_welcome": "Welcome event",
    "console_welcome_note": (
        "An event each new subscriber finds in their calendar right after subscribing, so they see that it worked. "
        "No title: none."
    ),
    "console_welcome_title": "Title of the welcome event",
    "console_welcome_after": "Starts this many minutes after subscribing (0 to 1440)",
    "console_welcome_duration": "Lasts this many minutes (1 to 1440)",
    "console_save_welcome": "Save the welcome event",
    "console_saved_welcome": "The welcome event is saved; it reaches people who subscribe from now on.",
    "console_events_more": "Only the first {limit} are shown; search by title to find the others.",
    # --- console integrations and people (calcast.console.integrations)
    "console_integrations": "Integrations",
    "console_integrations_overview": "Overview",
    "console_oauth_clients": "OAuth clients",
    "console_webhooks": "Webhooks",
    "console_actions": "Actions",
    "console_state": "State",
    "console_state_active": "active",
    "console_state_revoked": "revoked",
    "console_state_disabled": "disabled",
    "console_created": "Created",
    "console_when": "When (UTC)",
    "console_retry": "Send again",
    "console_reload": "Reload",
    "console_remove": "Remove",
    "console_revoke": "Revoke",
    "console_integration_not_found": "There is nothing of this account at this address.",
    "console_retry_refused": "This delivery was not sent again.",
    "console_confirm_heading": "Confirm it's you",
    "console_confirm_intro": (
        "Type your password again to create or see secrets. For the next {minutes} minutes you will not be asked again."
    ),
    "console_confirm_first": "You will be asked for your password first (once every {minutes} minutes).",
    "console_confirm_button": "Confirm",
    "console_confirm_wrong": "This is not your password; type it again.",
    "console_secret_once": "Copy it now: calcast shows it only this once, never again (not even after a reload).",
    "console_clients_intro": (
        "An OAuth client lets Braze (or another sender) call calcast's API with a client id and a secret."
    ),
    "console_no_clients": "No OAuth clients yet.",
    "console_new_client": "New OAuth client",
    "console_create_client": "Create a client",
    "console_client_revoked": "The client {client_id} is revoked: its secret and tokens no longer work.",
    "console_braze_intro": (
        "calcast keeps your Braze profiles up to date with users.track: the REST endpoint of your Braze instance and "
        "a REST API key with users.track permission."
    ),
    "console_braze_connected": "connected",
    "console_braze_not_set": "not set",
    "console_braze_endpoint": "REST endpoint",
    "console_braze_endpoint_hint": "As Braze shows it under Settings › APIs and Identifiers, with https://.",
    "console_braze_key": "REST API key",
    "console_braze_key_hint": "Stored encrypted; afterwards only its last 4 characters are shown.",
    "console_braze_key_ending": "a key ending in …{ending}",
    "console_braze_connect": "Connect Braze",
    "console_braze_save": "Save",
    "console_braze_saved": "Braze is set. Send a test to see that the key works.",
    "console_braze_test": "Send a test",
    "console_braze_test_intro": (
        "Sends one users.track request, as the sync does, for a test profile with the external id {external_id}, "
        "and shows what Braze answers."
    ),
    "console_braze_send_test": "Send a test to Braze",
    "console_braze_answered": "Braze answered {status}.",
    "console_braze_answer_ok": "The endpoint and the key work.",
    "console_braze_answer_key": "Braze refused the key: check it has users.track permission, and save it again.",
    "console_braze_unreachable": "Braze could not be reached; check the REST endpoint. Nothing was sent.",
    "console_braze_templates": "Webhook templates for Braze",
    "console_braze_credential": (
        "In Braze, under Settings › Connected Content › Credentials, add a credential named {name} with an OAuth "
        "client's id as username and its secret as password; the templates below use it. Then paste each template "
        "into a new webhook template."
    ),
    "console_braze_credential_name": "Credential name:",
    "console_braze_credential_username": "Username and password: an OAuth client of this account,",
    "console_template_url": "Webhook URL",
    "console_template_headers": "Request headers",
    "console_template_body": "Request body (raw text)",
    "console_webhooks_intro": (
        "calcast sends the events you choose to your URL, signed with HMAC-SHA256 (header Calcast-Signature)."
    ),
    "console_no_webhooks": "No webhooks yet.",
    "console_new_webhook": "New webhook",
    "console_add_webhook": "Add the webhook",
    "console_webhook_url": "URL",
    "console_webhook_events": "Event types",
    "console_webhook_event": "Event",
    "console_webhook_secret": "Signing secret",
    "console_webhook_log": "Delivery log",
    "console_webhook_send_test": "Send a test event",
    "console_webhook_disable": "Disable",
    "console_webhook_disabled": "The webhook is disabled: nothing more is sent to it. Its log stays.",
    "console_webhook_superseded": (
        "Not sent again: a newer delivery for the same subscription went out after it, and this one would undo it."
    ),
    "console_webhook_sending": "Being sent; the endpoint's answer appears in the log.",
    "console_no_deliveries": "Nothing was sent to this webhook yet.",
    "console_attempt": "Attempt",
    "console_answer": "Answer",
    "console_response": "Response (excerpt)",
    "console_outbox": "Outbox",
    "console_outbox_intro": (
        "What calcast still has to deliver for this account (Braze syncs and webhooks). A failing receiver delays "
        "deliveries; they are retried, and those that failed for good can be sent again here."
    ),
    "console_outbox_pending": "Pending",
    "console_outbox_failed": "Failed",
    "console_outbox_done": "Delivered",
    "console_outbox_superseded": "Superseded",
    "console_outbox_oldest": "Oldest pending",
    "console_outbox_by_kind": "Messages by kind and state",
    "console_outbox_kind": "Kind",
    "console_outbox_empty": "Nothing was queued for this account yet.",
    "console_outbox_retry_failed": "Send the failed ones again",
    "console_outbox_retry_note": "Messages a newer delivery has overtaken are not sent again.",
    "console_outbox_requeued": "{count} failed messages are queued again.",
    "console_invite": "Invite a person",
    "console_invite_button": "Invite",
    "console_invite_link": "One-time link to set a password",
    "console_invite_link_note": "Send the link to the person yourself; it works once, for {hours} hours.",
    "console_invited_existing": (
        "{email} has access now and signs in with the password they already have (or the link they were sent)."
    ),
    "console_roles_explained": (
        "Owner: everything, people and secrets included. Editor: calendars, events, audiences. Viewer: read-only."
    ),
    "console_role_of": "Role of {email}",
    "console_change_role": "Change",
    "console_change_role_of": "Change the role of {email}",
    "console_remove_person": "Remove {email}",
    "console_no_password_yet": "no password yet",
    "console_on_the_command_line": "The same on the command line:",
    "console_account": "Account",
    "console_link_key": "Link key",
    "console_link_key_intro": (
        "Landing-page links that carry a subscriber's external id are signed with this key (HMAC-SHA256), so nobody "
        "can subscribe in another person's name. Braze computes the signature with Liquid."
    ),
    "console_link_key_liquid": "In Braze's Liquid:",
    "console_link_key_set": "This account has a link key.",
    "console_link_key_none": "This account has no link key yet.",
    "console_link_key_create": "Create the link key",
    "console_link_key_replace": "Replace the link key",
    "console_link_key_rotate_note": "Links signed with the current key stop identifying anybody once it is replaced.",
    "console_invited_link_shown": (
        "{email} is invited. Their link was shown once; if it got lost, remove them and invite them again."
    ),
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
    "console_audience_event_title": "Title",
    "console_audience_event_start": "Start",
    "console_audience_event_end": "End (optional)",
    "console_audience_event_timezone": "Time zone",
    "console_audience_event_timezone_hint": (
        "An IANA name such as Europe/Berlin, or a Windows name such as W. Europe Standard Time."
    ),
    "console_audience_event_all_day": "All-day event",
    "console_event_notify_before": "Reminder, minutes before (optional)",
    "console_audience_event_location": "Location (optional)",
    "console_audience_event_url": "Link (optional)",
    "console_event_description": "Description (optional)",
    "console_audience_event_visible_from": "Hidden until, UTC (optional)",
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
    "console_subscriber_search_hint": (
        "The search finds e-mail addresses (in any case) and external ids that start with what you type, and a "
        "whole subscription id."
    ),
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
    # --- dashboard numbers (ranges, filters, reminders sent, engagement, top lists)
    "console_range_today": "Today",
    "console_range_yesterday": "Yesterday",
    "console_range_month": "This month",
    "console_range_custom": "Custom days",
    "console_start": "First day",
    "console_end": "Last day",
    "console_filters": "Range and filters",
    "console_filter_all_calendars": "All calendars",
    "console_filter_source": "Source",
    "console_filter_device": "Device",
    "console_filter_country": "Country",
    "console_apply": "Apply",
    "console_clear_filters": "Clear filters",
    "console_period_shown": "From {since} to {until} (UTC).",
    "console_tile_reminders_sent": "Reminders sent",
    "console_tile_engagement": "Engagement",
    "console_points": "percentage points",
    "console_cli_no_filters": "(filters other than the calendar are the console's only)",
    "console_line_title_day": "Active subscribers at the end of each day",
    "console_line_title_month": "Active subscribers at the end of each month",
    "console_line_desc": "{active} active subscribers at the end of the period.",
    "console_axis_active": "Active subscribers",
    "console_top_heading": "Where the new subscribers of this range come from",
    "console_top_calendar": "Top calendars",
    "console_top_tag": "Top tags",
    "console_top_source": "Top sources",
    "console_top_campaign": "Top UTM campaigns",
    "console_top_app": "Top calendar apps",
    "console_top_device": "Top devices",
    "console_top_country": "Top countries",
    "console_top_method": "Subscription methods",
    "console_no_data": "Nothing in this range.",
    "console_events_title": "Events",
    "console_engagement_note": (
        "Reminders sent in the range, and people who clicked an event's links in it, as a share of the "
        "active subscribers."
    ),
    "console_event": "Event",
    "console_people_clicked": "People who clicked",
    "console_polls_title": "Feed polls",
    "console_polls": "Polls",
    "console_polls_filtered": "Feed polls are counted per calendar and calendar app only; clear the other filters.",
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
    "console_no_share": "kein Anteil in einem der beiden Zeiträume zum Vergleich",
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
    "console_last_sign_in": "Letzte Anmeldung",
    "console_never": "nie",
    # --- console calendars and events
    "console_no_calendar": "Diesen Kalender gibt es in diesem Konto nicht.",
    "console_no_event": "Diesen Termin gibt es in diesem Kalender nicht; vielleicht wurde er gelöscht.",
    "console_events": "Termine",
    "console_events_of": "Termine von {title}",
    "console_calendar_sections": "Teile dieser Seite",
    "console_settings": "Einstellungen",
    "console_preview": "Vorschau der Landingpage",
    "console_preview_note": "Die Landingpage, wie Besucher sie jetzt sehen; speichern Sie, um eine Änderung zu sehen.",
    "console_preview_frame": "Vorschau der Landingpage von {title}",
    "console_open_landing": "Landingpage öffnen",
    "console_share": "Links zum Teilen",
    "console_saved_settings": (
        "Die Einstellungen sind gespeichert; Feeds zeigen die Änderung bei ihrer nächsten Aktualisierung."
    ),
    "console_saved_tags": "Die Themen sind gespeichert.",
    "console_calendar_name": "Name",
    "console_calendar_name_hint": "So heißt der Kalender in der Konsole und in Berichten.",
    "console_subscription_title": "Abonnement-Titel",
    "console_subscription_title_hint": "Das sehen Abonnenten in ihrer Kalender-App; leer: der Name.",
    "console_description": "Beschreibung",
    "console_image_url": "Bildadresse",
    "console_language": "Sprache der Landingpage",
    "console_language_en": "Englisch",
    "console_language_de": "Deutsch",
    "console_email_capture": "E-Mail-Adresse auf der Landingpage",
    "console_email_capture_off": "Nicht abgefragt",
    "console_email_capture_optional": "Freiwillig",
    "console_email_capture_required": "Pflicht",
    "console_opt_in1": "Erstes Einwilligungs-Kästchen (optIn1), leer: keines",
    "console_opt_in2": "Zweites Einwilligungs-Kästchen (optIn2), leer: keines",
    "console_default_duration": "Standarddauer eines Termins in Minuten (für Termine ohne Ende)",
    "console_identity": "Externe IDs in Links zur Landingpage",
    "console_identity_signed": "Nur mit der Signatur des Link-Schlüssels des Kontos gültig (sicher)",
    "console_identity_unsigned": "Jede externe ID so nehmen, wie sie kommt",
    "console_flags": "Braze und Links",
    "console_merge_flag": "Braze-Listen werden ergänzt (merge) statt ersetzt",
    "console_fallback_flag": "Ohne externe ID und E-Mail die Abonnement-ID als Braze external_id verwenden",
    "console_click_tracking": "Klicks auf Termin-Links zählen (über die Weiterleitung von calcast)",
    "console_track_text_links": "Auch Klicks auf Links in Beschreibungen und Orten zählen",
    "console_save_settings": "Einstellungen speichern",
    "console_save": "Speichern",
    "console_tags_note": (
        "Die Landingpage zeigt die Themen in dieser Reihenfolge; vorausgewählte sind für Besucher angehakt."
    ),
    "console_tags_drag": "Ziehen Sie ein Thema oder nutzen Sie seine Knöpfe ↑ und ↓, um die Reihenfolge zu ändern.",
    "console_no_tags": "Keine Themen: jeder Abonnent erhält jeden Termin.",
    "console_tag_name": "Name des Themas",
    "console_tag_name_of": "Name von Thema {number}",
    "console_tag_image": "Bildadresse des Themas (freiwillig)",
    "console_tag_image_of": "Bildadresse von {name}",
    "console_tag_image_placeholder": "Bildadresse (freiwillig)",
    "console_tag_default": "Vorausgewählt",
    "console_add_tag": "Thema hinzufügen",
    "console_move_up": "{name} nach oben",
    "console_move_down": "{name} nach unten",
    "console_subscribe_link": "Abonnieren-Link (Landingpage)",
    "console_copy": "Kopieren",
    "console_signed_link": "Signierter Link für eine Person",
    "console_signed_link_note": (
        "Ihre Nutzer-ID (Braze external_id), signiert mit dem Link-Schlüssel des Kontos: derselbe Link wie "
        "calcast calendar link {account} {code} --external-id ID."
    ),
    "console_external_id": "Externe ID",
    "console_sign_link": "Signierten Link erzeugen",
    "console_signed_url_for": "Signierter Link für {external_id}",
    "console_button_snippet": "Knopf für Ihre Website",
    "console_button_snippet_note": (
        "Fügen Sie diese zwei Zeilen in Ihre Seite ein; der Link öffnet die Landingpage in einer Lightbox."
    ),
    "console_events_when": "Welche Termine",
    "console_events_upcoming": "Kommende",
    "console_events_past": "Vergangene",
    "console_events_search": "Nach Titel suchen",
    "console_search": "Suchen",
    "console_new_event": "Neuer Termin",
    "console_no_events": "Hier gibt es noch keine Termine.",
    "console_no_events_found": "Kein Termintitel enthält diese Wörter.",
    "console_event_title": "Titel",
    "console_event_when": "Wann",
    "console_event_reminder": "Erinnerung",
    "console_event_everyone": "alle",
    "console_minutes_before": "{minutes} Minuten vorher",
    "console_event_deleted": "Der Termin ist gelöscht; Kalender-Apps entfernen ihn bei ihrer nächsten Aktualisierung.",
    "console_event_added": "Der Termin ist angelegt; Kalender-Apps zeigen ihn bei ihrer nächsten Aktualisierung.",
    "console_event_saved": (
        "Der Termin ist gespeichert; Kalender-Apps übernehmen ihn bei ihrer nächsten Aktualisierung."
    ),
    "console_event_sequence": (
        "Version {sequence}: jede sichtbare Änderung erhöht sie, damit Kalender-Apps die neue übernehmen."
    ),
    "console_event_details": "Angaben zum Termin",
    "console_event_all_day": "Ganztägig",
    "console_event_start": "Beginn (in der Zeitzone des Termins)",
    "console_event_end": "Ende (freiwillig)",
    "console_event_end_hint": (
        "Leer: Beginn plus {minutes} Minuten, die Standarddauer des Kalenders. Ganztägig: der letzte Tag."
    ),
    "console_event_timezone": "Zeitzone",
    "console_event_timezone_hint": "Ein IANA-Name wie Europe/Berlin oder ein Windows-Name wie W. Europe Standard Time.",
    "console_event_tags": "Wer ihn erhält",
    "console_event_tags_hint": "Abonnenten der angehakten Themen; keines angehakt: alle Abonnenten.",
    "console_event_reminder_minutes": "Erinnerung, Minuten vor Beginn (freiwillig)",
    "console_event_location": "Ort",
    "console_event_url": "Link (https://…)",
    "console_event_visible_from": "Verborgen bis (UTC, freiwillig)",
    "console_event_visible_from_hint": "Feeds zeigen den Termin ab diesem Zeitpunkt.",
    "console_event_preview_button": "Vorschau",
    "console_add_event": "Termin anlegen",
    "console_save_event": "Termin speichern",
    "console_delete_event": "Termin löschen",
    "console_event_preview": "In einer Kalender-App",
    "console_event_preview_note": "Die Zeit steht in Ihrer eigenen Zeitzone, wie Ihre Kalender-App sie zeigen würde.",
    "console_event_for": "Für: {tags}",
    "console_welcome": "Willkommenstermin",
    "console_welcome_note": (
        "Ein Termin, den jeder neue Abonnent gleich nach dem Abonnieren in seinem Kalender findet, damit er sieht, "
        "dass es geklappt hat. Ohne Titel: keiner."
    ),
    "console_welcome_title": "Titel des Willkommenstermins",
    "console_welcome_after": "Beginnt so viele Minuten nach dem Abonnieren (0 bis 1440)",
    "console_welcome_duration": "Dauert so viele Minuten (1 bis 1440)",
    "console_save_welcome": "Willkommenstermin speichern",
    "console_saved_welcome": "Der Willkommenstermin ist gespeichert; er erreicht alle, die ab jetzt abonnieren.",
    "console_events_more": "Nur die ersten {limit} sind zu sehen; suchen Sie nach dem Titel, um die anderen zu finden.",
    # --- console integrations and people (calcast.console.integrations)
    "console_integrations": "Integrationen",
    "console_integrations_overview": "Übersicht",
    "console_oauth_clients": "OAuth-Clients",
    "console_webhooks": "Webhooks",
    "console_actions": "Aktionen",
    "console_state": "Status",
    "console_state_active": "aktiv",
    "console_state_revoked": "widerrufen",
    "console_state_disabled": "deaktiviert",
    "console_created": "Erstellt",
    "console_when": "Zeitpunkt (UTC)",
    "console_retry": "Erneut senden",
    "console_reload": "Neu laden",
    "console_remove": "Entfernen",
    "console_revoke": "Widerrufen",
    "console_integration_not_found": "Unter dieser Adresse gibt es nichts von diesem Konto.",
    "console_retry_refused": "Diese Zustellung wurde nicht erneut gesendet.",
    "console_confirm_heading": "Bestätigen Sie, dass Sie es sind",
    "console_confirm_intro": (
        "Geben Sie Ihr Passwort erneut ein, um Geheimnisse zu erstellen oder zu sehen. In den nächsten {minutes} "
        "Minuten werden Sie nicht noch einmal gefragt."
    ),
    "console_confirm_first": "Sie werden zuerst nach Ihrem Passwort gefragt (einmal alle {minutes} Minuten).",
    "console_confirm_button": "Bestätigen",
    "console_confirm_wrong": "Das ist nicht Ihr Passwort; geben Sie es noch einmal ein.",
    "console_secret_once": (
        "Kopieren Sie es jetzt: calcast zeigt es nur dieses eine Mal, nie wieder (auch nicht nach einem Neuladen)."
    ),
    "console_clients_intro": (
        "Mit einem OAuth-Client ruft Braze (oder ein anderer Absender) die API von calcast mit Client-ID und "
        "Geheimnis auf."
    ),
    "console_no_clients": "Noch keine OAuth-Clients.",
    "console_new_client": "Neuer OAuth-Client",
    "console_create_client": "Client erstellen",
    "console_client_revoked": "Der Client {client_id} ist widerrufen: Geheimnis und Tokens gelten nicht mehr.",
    "console_braze_intro": (
        "calcast hält Ihre Braze-Profile mit users.track aktuell: mit dem REST-Endpunkt Ihrer Braze-Instanz und "
        "einem REST-API-Schlüssel mit der Berechtigung users.track."
    ),
    "console_braze_connected": "verbunden",
    "console_braze_not_set": "nicht eingerichtet",
    "console_braze_endpoint": "REST-Endpunkt",
    "console_braze_endpoint_hint": "Wie Braze ihn unter Settings › APIs and Identifiers zeigt, mit https://.",
    "console_braze_key": "REST-API-Schlüssel",
    "console_braze_key_hint": "Wird verschlüsselt gespeichert; danach sind nur seine letzten 4 Zeichen zu sehen.",
    "console_braze_key_ending": "ein Schlüssel, der auf …{ending} endet",
    "console_braze_connect": "Braze verbinden",
    "console_braze_save": "Speichern",
    "console_braze_saved": "Braze ist eingerichtet. Senden Sie einen Test, um den Schlüssel zu prüfen.",
    "console_braze_test": "Test senden",
    "console_braze_test_intro": (
        "Sendet wie die Synchronisation eine users.track-Anfrage für ein Testprofil mit der External ID "
        "{external_id} und zeigt die Antwort von Braze."
    ),
    "console_braze_send_test": "Test an Braze senden",
    "console_braze_answered": "Braze hat mit {status} geantwortet.",
    "console_braze_answer_ok": "Endpunkt und Schlüssel funktionieren.",
    "console_braze_answer_key": (
        "Braze hat den Schlüssel abgelehnt: Prüfen Sie die Berechtigung users.track und speichern Sie ihn erneut."
    ),
    "console_braze_unreachable": "Braze war nicht erreichbar; prüfen Sie den REST-Endpunkt. Es wurde nichts gesendet.",
    "console_braze_templates": "Webhook-Vorlagen für Braze",
    "console_braze_credential": (
        "Legen Sie in Braze unter Settings › Connected Content › Credentials einen Zugang namens {name} an, mit der "
        "ID eines OAuth-Clients als Benutzername und seinem Geheimnis als Passwort; die Vorlagen unten verwenden ihn. "
        "Fügen Sie dann jede Vorlage in eine neue Webhook-Vorlage ein."
    ),
    "console_braze_credential_name": "Name des Zugangs:",
    "console_braze_credential_username": "Benutzername und Passwort: ein OAuth-Client dieses Kontos,",
    "console_template_url": "Webhook-URL",
    "console_template_headers": "Request-Header",
    "console_template_body": "Request-Body (Rohtext)",
    "console_webhooks_intro": (
        "calcast sendet die gewählten Ereignisse an Ihre URL, signiert mit HMAC-SHA256 (Header Calcast-Signature)."
    ),
    "console_no_webhooks": "Noch keine Webhooks.",
    "console_new_webhook": "Neuer Webhook",
    "console_add_webhook": "Webhook hinzufügen",
    "console_webhook_url": "URL",
    "console_webhook_events": "Ereignistypen",
    "console_webhook_event": "Ereignis",
    "console_webhook_secret": "Signaturgeheimnis",
    "console_webhook_log": "Zustellprotokoll",
    "console_webhook_send_test": "Testereignis senden",
    "console_webhook_disable": "Deaktivieren",
    "console_webhook_disabled": (
        "Der Webhook ist deaktiviert: Es wird nichts mehr an ihn gesendet. Sein Protokoll bleibt."
    ),
    "console_webhook_superseded": (
        "Nicht erneut gesendet: Eine neuere Zustellung für dasselbe Abonnement ging danach hinaus, und diese würde "
        "sie rückgängig machen."
    ),
    "console_webhook_sending": "Wird gesendet; die Antwort des Empfängers erscheint im Protokoll.",
    "console_no_deliveries": "An diesen Webhook wurde noch nichts gesendet.",
    "console_attempt": "Versuch",
    "console_answer": "Antwort",
    "console_response": "Antwort (Auszug)",
    "console_outbox": "Postausgang",
    "console_outbox_intro": (
        "Was calcast für dieses Konto noch zustellen muss (Braze-Synchronisation und Webhooks). Ein gestörter "
        "Empfänger verzögert Zustellungen; sie werden wiederholt, und endgültig gescheiterte können Sie hier erneut "
        "senden."
    ),
    "console_outbox_pending": "Ausstehend",
    "console_outbox_failed": "Gescheitert",
    "console_outbox_done": "Zugestellt",
    "console_outbox_superseded": "Überholt",
    "console_outbox_oldest": "Älteste ausstehende",
    "console_outbox_by_kind": "Nachrichten nach Art und Status",
    "console_outbox_kind": "Art",
    "console_outbox_empty": "Für dieses Konto wurde noch nichts eingereiht.",
    "console_outbox_retry_failed": "Gescheiterte erneut senden",
    "console_outbox_retry_note": "Nachrichten, die eine neuere Zustellung überholt hat, werden nicht erneut gesendet.",
    "console_outbox_requeued": "{count} gescheiterte Nachrichten sind wieder eingereiht.",
    "console_invite": "Person einladen",
    "console_invite_button": "Einladen",
    "console_invite_link": "Einmal-Link zum Festlegen des Passworts",
    "console_invite_link_note": "Senden Sie der Person den Link selbst; er gilt einmal, {hours} Stunden lang.",
    "console_invited_existing": (
        "{email} hat jetzt Zugang und meldet sich mit dem vorhandenen Passwort an (oder mit dem erhaltenen Link)."
    ),
    "console_roles_explained": (
        "Inhaber: alles, auch Personen und Geheimnisse. Bearbeiter: Kalender, Termine, Zielgruppen. "
        "Betrachter: nur lesen."
    ),
    "console_role_of": "Rolle von {email}",
    "console_change_role": "Ändern",
    "console_change_role_of": "Rolle von {email} ändern",
    "console_remove_person": "{email} entfernen",
    "console_no_password_yet": "noch kein Passwort",
    "console_on_the_command_line": "Dasselbe auf der Kommandozeile:",
    "console_account": "Konto",
    "console_link_key": "Link-Schlüssel",
    "console_link_key_intro": (
        "Links zur Landingpage mit der External ID einer Person werden mit diesem Schlüssel signiert "
        "(HMAC-SHA256), damit sich niemand im Namen eines anderen anmelden kann. Braze berechnet die Signatur in "
        "Liquid."
    ),
    "console_link_key_liquid": "In Braze-Liquid:",
    "console_link_key_set": "Dieses Konto hat einen Link-Schlüssel.",
    "console_link_key_none": "Dieses Konto hat noch keinen Link-Schlüssel.",
    "console_link_key_create": "Link-Schlüssel erstellen",
    "console_link_key_replace": "Link-Schlüssel ersetzen",
    "console_link_key_rotate_note": (
        "Mit dem bisherigen Schlüssel signierte Links identifizieren niemanden mehr, sobald er ersetzt ist."
    ),
    "console_invited_link_shown": (
        "{email} ist eingeladen. Der Link wurde einmal angezeigt; ging er verloren, entfernen Sie die Person und "
        "laden Sie sie erneut ein."
    ),
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
    "console_audience_event_title": "Titel",
    "console_audience_event_start": "Beginn",
    "console_audience_event_end": "Ende (optional)",
    "console_audience_event_timezone": "Zeitzone",
    "console_audience_event_timezone_hint": (
        "Ein IANA-Name wie Europe/Berlin oder ein Windows-Name wie W. Europe Standard Time."
    ),
    "console_audience_event_all_day": "Ganztägig",
    "console_event_notify_before": "Erinnerung, Minuten vorher (optional)",
    "console_audience_event_location": "Ort (optional)",
    "console_audience_event_url": "Link (optional)",
    "console_event_description": "Beschreibung (optional)",
    "console_audience_event_visible_from": "Verborgen bis, UTC (optional)",
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
        "Die Suche findet E-Mail-Adressen (unabhängig von Groß- und Kleinschreibung) und externe IDs, die mit dem "
        "Eingegebenen beginnen, und eine vollständige Abonnement-ID."
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
    # --- dashboard numbers (ranges, filters, reminders sent, engagement, top lists)
    "console_range_today": "Heute",
    "console_range_yesterday": "Gestern",
    "console_range_month": "Dieser Monat",
    "console_range_custom": "Eigene Tage",
    "console_start": "Erster Tag",
    "console_end": "Letzter Tag",
    "console_filters": "Zeitraum und Filter",
    "console_filter_all_calendars": "Alle Kalender",
    "console_filter_source": "Quelle",
    "console_filter_device": "Gerät",
    "console_filter_country": "Land",
    "console_apply": "Anwenden",
    "console_clear_filters": "Filter löschen",
    "console_period_shown": "Von {since} bis {until} (UTC).",
    "console_tile_reminders_sent": "Gesendete Erinnerungen",
    "console_tile_engagement": "Engagement",
    "console_points": "Prozentpunkte",
    "console_cli_no_filters": "(Filter außer dem Kalender gibt es nur in der Konsole)",
    "console_line_title_day": "Aktive Abonnenten am Ende jedes Tages",
    "console_line_title_month": "Aktive Abonnenten am Ende jedes Monats",
    "console_line_desc": "{active} aktive Abonnenten am Ende des Zeitraums.",
    "console_axis_active": "Aktive Abonnenten",
    "console_top_heading": "Woher die neuen Abonnenten dieses Zeitraums kommen",
    "console_top_calendar": "Top-Kalender",
    "console_top_tag": "Top-Tags",
    "console_top_source": "Top-Quellen",
    "console_top_campaign": "Top-UTM-Kampagnen",
    "console_top_app": "Top-Kalender-Apps",
    "console_top_device": "Top-Geräte",
    "console_top_country": "Top-Länder",
    "console_top_method": "Abo-Methoden",
    "console_no_data": "Nichts in diesem Zeitraum.",
    "console_events_title": "Termine",
    "console_engagement_note": (
        "Gesendete Erinnerungen im Zeitraum und Personen, die darin auf Links eines Termins geklickt haben, als "
        "Anteil der aktiven Abonnenten."
    ),
    "console_event": "Termin",
    "console_people_clicked": "Personen mit Klick",
    "console_polls_title": "Feed-Abrufe",
    "console_polls": "Abrufe",
    "console_polls_filtered": (
        "Feed-Abrufe werden nur je Kalender und Kalender-App gezählt; löschen Sie die anderen Filter."
    ),
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

# The services' error sentences (core.errors.DomainError) in other languages, by their English template: the same
# `{names}` are filled in. A sentence missing here is shown in English; tests/web/test_i18n.py checks that every
# template here is still one a service raises, and that it names only values that template has.
_DE_ERRORS: dict[str, str] = {
    # --- form fields (core.errors.validation_problems)
    "{field}: required": "{field}: fehlt",
    "{field}: must not be empty": "{field}: darf nicht leer sein",
    "{field}: at most {max_length} characters": "{field}: höchstens {max_length} Zeichen",
    "{field}: at least {ge}": "{field}: mindestens {ge}",
    "{field}: at most {le}": "{field}: höchstens {le}",
    # --- events
    "The event is not complete: {problems}.": "Der Termin ist nicht vollständig: {problems}.",
    "The calendar {calendar!r} has no event {event!r}; `calcast event list {account} {calendar}` shows the keys.": (
        "Der Kalender {calendar!r} hat keinen Termin {event!r}."
    ),
    "notifyBefore is a number of minutes from 0 to 525600 (one year).": (
        "Die Erinnerung ist eine Zahl von Minuten zwischen 0 und 525600 (ein Jahr)."
    ),
    # --- objects the console links to
    "The account {account!r} has no calendar {code!r}; `calcast calendar list {account}` shows them.": (
        "Das Konto {account!r} hat keinen Kalender {code!r}."
    ),
    "There is no subscription {subscription_id!r} in this account.": (
        "In diesem Konto gibt es kein Abonnement {subscription_id!r}."
    ),
    "The account {account_code!r} has no subscriber {subscriber!r} (by external id or e-mail).": (
        "Das Konto {account_code!r} hat keinen Abonnenten {subscriber!r} (nach externer ID oder E-Mail-Adresse)."
    ),
    "There is no webhook {endpoint_id!r}; `calcast webhook list ACCOUNT` shows them.": (
        "Es gibt keinen Webhook {endpoint_id!r}."
    ),
    "The webhook {endpoint} has no delivery {message_id}; its log shows the ones it has.": (
        "Der Webhook {endpoint} hat keine Zustellung {message_id}; sein Protokoll zeigt die vorhandenen."
    ),
    "There is no outbox message {message_id}; `calcast outbox list` shows them.": (
        "Es gibt keine Nachricht {message_id} im Postausgang."
    ),
    "There is no OAuth client {client_id!r}; `calcast client list ACCOUNT` shows them.": (
        "Es gibt keinen OAuth-Client {client_id!r}."
    ),
    "This account no longer exists.": "Dieses Konto gibt es nicht mehr.",
    "The event needs a timezone, e.g. 'Eastern Standard Time' or 'America/New_York' (GET /v1/timezones lists them).": (
        "Der Termin braucht eine Zeitzone, etwa „Europe/Berlin“ oder „W. Europe Standard Time“."
    ),
    "The url must be a web address starting with http:// or https:// (no spaces); other kinds of link are not put "
    "into calendars.": (
        "Der Link muss eine Webadresse sein, die mit http:// oder https:// beginnt (ohne Leerzeichen); andere Links "
        "kommen nicht in Kalender."
    ),
    "The event lasts longer than {days} days; give an end within a year of the start or split it into several "
    "events.": (
        "Der Termin dauert länger als {days} Tage; geben Sie ein Ende innerhalb eines Jahres nach dem Beginn an oder "
        "teilen Sie ihn in mehrere Termine."
    ),
    "The event needs a title.": "Der Termin braucht einen Titel.",
    "The event ends before it starts; give an end at or after the start.": (
        "Der Termin endet, bevor er beginnt; geben Sie ein Ende zum oder nach dem Beginn an."
    ),
    "The event would end after {year}; give an end in the years events may use.": (
        "Der Termin würde nach {year} enden; geben Sie ein Ende in den Jahren an, die Termine haben dürfen."
    ),
    "The calendar's default event duration is over a year; give the event an end.": (
        "Die Standarddauer des Kalenders ist länger als ein Jahr; geben Sie dem Termin ein Ende."
    ),
    "{field} {text!r} is outside the years {first} to {last} that events may use; check the year.": (
        "{field} {text!r} liegt außerhalb der Jahre {first} bis {last}, die Termine haben dürfen; prüfen Sie das Jahr."
    ),
    "The time zone {name!r} is not known; use a Windows name such as 'Eastern Standard Time' or an IANA id such as "
    "'America/New_York' (GET /v1/timezones lists them all).": (
        "Die Zeitzone {name!r} ist unbekannt; wählen Sie eine aus der Liste, etwa „Europe/Berlin“."
    ),
    "{field} {text!r} is not a date and time such as 2019-02-21T15:00:00.": (
        "{field} {text!r} ist kein Datum mit Uhrzeit wie 2019-02-21T15:00:00."
    ),
    "The reminder is a whole number of minutes before the start, not {given!r}.": (
        "Die Erinnerung ist eine ganze Zahl von Minuten vor dem Beginn, nicht {given!r}."
    ),
    "The {name} is at most {limit} characters; shorten it.": (
        "Das Feld {name} hat höchstens {limit} Zeichen; bitte kürzen Sie es."
    ),
    "The calendar {calendar!r} has no such event; it may have been deleted.": (
        "Der Kalender {calendar!r} hat diesen Termin nicht; vielleicht wurde er gelöscht."
    ),
    "The calendar {calendar!r} already has (or had) an event {key!r}; choose another key.": (
        "Der Kalender {calendar!r} hat (oder hatte) schon einen Termin {key!r}; wählen Sie einen anderen Schlüssel."
    ),
    # --- calendars and tags
    "The {what} code {value!r} is not valid; use 1 to 64 lowercase letters, digits and hyphens (not at the start or "
    "end), for example 'brazetest'.": (
        "Der Code {value!r} ist ungültig; verwenden Sie 1 bis 64 Kleinbuchstaben, Ziffern und Bindestriche (nicht am "
        "Anfang oder Ende), zum Beispiel „brazetest“."
    ),
    "The calendar needs a title: the name subscribers see in their calendar app.": (
        "Der Kalender braucht einen Titel: den Namen, den Abonnenten in ihrer Kalender-App sehen."
    ),
    "The account {account!r} already has a calendar {code!r}; choose another code.": (
        "Das Konto {account!r} hat schon einen Kalender {code!r}; wählen Sie einen anderen Code."
    ),
    "Tag names must be non-empty and different from each other.": (
        "Themen brauchen einen Namen, und jeder Name darf nur einmal vorkommen."
    ),
    "The calendar needs a name; it is what the console and reports call it.": (
        "Der Kalender braucht einen Namen; so heißt er in der Konsole und in Berichten."
    ),
    "Names and titles are at most 255 characters; shorten them.": (
        "Namen und Titel haben höchstens 255 Zeichen; bitte kürzen Sie sie."
    ),
    "The title is at most 255 characters; shorten it.": "Der Titel hat höchstens 255 Zeichen; bitte kürzen Sie ihn.",
    "An opt-in label is at most 500 characters; shorten it.": (
        "Ein Einwilligungstext hat höchstens 500 Zeichen; bitte kürzen Sie ihn."
    ),
    "The image address is at most 2048 characters; shorten it.": (
        "Die Bildadresse hat höchstens 2048 Zeichen; bitte kürzen Sie sie."
    ),
    "The image address must start with https:// or http:// and contain no spaces.": (
        "Die Bildadresse muss mit https:// oder http:// beginnen und darf keine Leerzeichen enthalten."
    ),
    "The default event duration cannot be negative.": "Die Standarddauer eines Termins kann nicht negativ sein.",
    "The default event duration is at most {most} minutes (a year).": (
        "Die Standarddauer eines Termins beträgt höchstens {most} Minuten (ein Jahr)."
    ),
    "The default duration is a whole number of minutes, not {given!r}.": (
        "Die Standarddauer ist eine ganze Zahl von Minuten, nicht {given!r}."
    ),
    "{field} must be one of {choices}, not {value!r}.": "{field} muss eines von {choices} sein, nicht {value!r}.",
    "The welcome event starts 0 to {most} minutes (a day) after subscribing, not {given}.": (
        "Der Willkommenstermin beginnt 0 bis {most} Minuten (ein Tag) nach dem Abonnieren, nicht {given}."
    ),
    "The welcome event lasts 1 to {most} minutes (a day), not {given}.": (
        "Der Willkommenstermin dauert 1 bis {most} Minuten (ein Tag), nicht {given}."
    ),
    "The welcome event's start is a whole number of minutes, not {given!r}.": (
        "Der Beginn des Willkommenstermins ist eine ganze Zahl von Minuten, nicht {given!r}."
    ),
    "The welcome event's length is a whole number of minutes, not {given!r}.": (
        "Die Dauer des Willkommenstermins ist eine ganze Zahl von Minuten, nicht {given!r}."
    ),
    "The welcome event's title is at most 255 characters; shorten it.": (
        "Der Titel des Willkommenstermins hat höchstens 255 Zeichen; bitte kürzen Sie ihn."
    ),
    "The welcome event's link is at most 2048 characters; shorten it.": (
        "Der Link des Willkommenstermins hat höchstens 2048 Zeichen; bitte kürzen Sie ihn."
    ),
    "The tag needs a name.": "Das Thema braucht einen Namen.",
    "A tag name is at most 255 characters; shorten it.": (
        "Ein Themenname hat höchstens 255 Zeichen; bitte kürzen Sie ihn."
    ),
    "The calendar {calendar!r} already has a tag {tag!r}.": "Der Kalender {calendar!r} hat schon ein Thema {tag!r}.",
    "The calendar {calendar!r} has no such tag; it may have been removed.": (
        "Der Kalender {calendar!r} hat dieses Thema nicht; vielleicht wurde es entfernt."
    ),
    "The tags changed meanwhile; reload the page and order them again.": (
        "Die Themen haben sich inzwischen geändert; laden Sie die Seite neu und ordnen Sie sie erneut."
    ),
    "The calendar has no tag {name!r}; its tags are: {known}.": (
        "Der Kalender hat kein Thema {name!r}; seine Themen sind: {known}."
    ),
    "This calendar no longer exists.": "Diesen Kalender gibt es nicht mehr.",
    # --- audiences
    "The file is empty; upload a CSV with one identifier per row.": (
        "Die Datei ist leer; laden Sie eine CSV-Datei mit einer Kennung pro Zeile hoch."
    ),
    "The file is larger than {most} MB; split it in two.": (
        "Die Datei ist größer als {most} MB; teilen Sie sie in zwei Dateien."
    ),
    "The file is not a CSV text file; upload a .csv file (or a .csv.gz).": (
        "Die Datei ist keine CSV-Textdatei; laden Sie eine .csv-Datei (oder .csv.gz) hoch."
    ),
    "The file is not UTF-8 text; save it as “CSV UTF-8” and upload it again.": (
        "Die Datei ist kein UTF-8-Text; speichern Sie sie als „CSV UTF-8“ und laden Sie sie erneut hoch."
    ),
    "The file looks gzip-compressed but cannot be unpacked; upload the CSV itself.": (
        "Die Datei scheint gzip-komprimiert, lässt sich aber nicht entpacken; laden Sie die CSV-Datei selbst hoch."
    ),
    "There is no audience {id!r} in this account.": "In diesem Konto gibt es keine Zielgruppe {id!r}.",
    "The uploaded file is no longer stored; upload it again.": (
        "Die hochgeladene Datei ist nicht mehr gespeichert; laden Sie sie erneut hoch."
    ),
    "This audience was sent already; upload the file again for another event.": (
        "An diese Zielgruppe wurde schon gesendet; laden Sie die Datei für einen weiteren Termin erneut hoch."
    ),
    "Choose what the column holds: subscription ids, external ids or e-mail addresses.": (
        "Wählen Sie, was die Spalte enthält: Abonnement-IDs, externe IDs oder E-Mail-Adressen."
    ),
    "Choose one of the file's columns.": "Wählen Sie eine der Spalten der Datei.",
    "Define the event after the match report, and before the audience is sent.": (
        "Legen Sie den Termin nach dem Abgleich fest, bevor an die Zielgruppe gesendet wird."
    ),
    "No active subscription matched; there is nobody to send the event to.": (
        "Kein aktives Abonnement wurde gefunden; es gibt niemanden, an den der Termin gehen könnte."
    ),
    "The account has an event {id!r} already; choose another event id (sending would change that event for "
    "everybody who has it).": (
        "Das Konto hat schon einen Termin {id!r}; wählen Sie eine andere Termin-ID (sonst änderte das Senden diesen "
        "Termin für alle, die ihn haben)."
    ),
    "This audience is not ready to send: define the event first, or it is sent already.": (
        "Diese Zielgruppe ist nicht bereit zum Senden: Legen Sie zuerst den Termin fest, oder es wurde schon gesendet."
    ),
    # --- integrations
    "The {what} {url!r} must be an https URL such as https://example.com/calcast.": (
        "Die Adresse {url!r} muss eine https-URL sein, etwa https://example.com/calcast."
    ),
    "The {what} {url!r} must start with https://: over plain http its content and credentials travel in clear "
    "({setting}=true allows http for tests and on-premises receivers).": (
        "Die Adresse {url!r} muss mit https:// beginnen: Über http gingen Inhalte und Zugangsdaten unverschlüsselt "
        "übers Netz ({setting}=true erlaubt http für Tests und Empfänger im eigenen Netz)."
    ),
    "The {what} {url!r} cannot be used: {why}": (
        "Die Adresse {url!r} kann nicht verwendet werden: calcast sendet nur an öffentliche Adressen."
    ),
    "The Braze REST API key is empty; pass the key that has users.track permission.": (
        "Der Braze-REST-API-Schlüssel ist leer; geben Sie den Schlüssel mit der Berechtigung users.track ein."
    ),
    "Choose event types among {types}.": "Wählen Sie Ereignisarten aus: {types}.",
    "Choose event types among {types}; {unknown} is not one.": (
        "Wählen Sie Ereignisarten aus: {types}; {unknown} gehört nicht dazu."
    ),
    "Outbox message {id} held personal data that was erased on request; it cannot be sent.": (
        "Die Nachricht {id} enthielt personenbezogene Daten, die auf Wunsch gelöscht wurden; sie kann nicht gesendet "
        "werden."
    ),
    "Outbox message {id} is still pending; a worker will deliver it.": (
        "Die Nachricht {id} wartet noch auf Zustellung; ein Worker stellt sie zu."
    ),
    "Outbox message {id} is superseded: a newer message for the same subscription was delivered, and sending this "
    "one now would undo it.": (
        "Die Nachricht {id} ist überholt: Eine neuere für dasselbe Abonnement wurde zugestellt, und diese jetzt zu "
        "senden, machte sie rückgängig."
    ),
    "Outbox message {id} was delivered before message {newer} for the same subscription; sending it again would "
    "undo message {newer}.": (
        "Die Nachricht {id} wurde vor der Nachricht {newer} für dasselbe Abonnement zugestellt; sie erneut zu senden, "
        "machte die Nachricht {newer} rückgängig."
    ),
    # --- people
    "The role {role!r} does not exist; use owner, editor or viewer.": (
        "Die Rolle {role!r} gibt es nicht; wählen Sie Inhaber, Bearbeiter oder Betrachter."
    ),
    "{address!r} is not a valid e-mail address; check it.": (
        "{address!r} ist keine gültige E-Mail-Adresse; bitte prüfen Sie sie."
    ),
    "The password must be {least} to {most} characters long.": (
        "Das Passwort muss {least} bis {most} Zeichen lang sein."
    ),
    "{email} has access to {account} already; change their role in the list instead.": (
        "{email} hat schon Zugang zu {account}; ändern Sie stattdessen die Rolle in der Liste."
    ),
    "{email!r} has no access to the account {account!r}; `calcast user list {account}` shows who has.": (
        "{email!r} hat keinen Zugang zum Konto {account!r}."
    ),
    "{email} is the only owner of {account}; make someone else owner first.": (
        "{email} ist der einzige Inhaber von {account}; machen Sie zuerst jemand anderen zum Inhaber."
    ),
    "This link is not valid: it was used already, has expired or is incomplete. Ask an owner to run `calcast user "
    "create` again for a new one.": (
        "Dieser Link gilt nicht: Er wurde schon benutzt, ist abgelaufen oder unvollständig. Bitten Sie einen Inhaber "
        "um einen neuen."
    ),
    # --- link keys
    "The account {code!r} already has a link key; it is shown only when it is created. Pass --rotate to replace it "
    "(links signed with the old key are no longer trusted).": (
        "Das Konto {code!r} hat schon einen Link-Schlüssel; er wird nur beim Erstellen gezeigt. Ersetzen Sie ihn "
        "durch einen neuen, um einen zu sehen (mit dem alten signierte Links gelten dann nicht mehr)."
    ),
    "The link key of {code!r} was stored under another CALCAST_SECRET_KEY; create a new one with `calcast account "
    "link-key {code} --rotate`.": (
        "Der Link-Schlüssel von {code!r} wurde mit einem anderen CALCAST_SECRET_KEY gespeichert; ersetzen Sie ihn "
        "durch einen neuen."
    ),
    "The account {code!r} has no link key yet; create one with `calcast account link-key {code}`.": (
        "Das Konto {code!r} hat noch keinen Link-Schlüssel; ein Inhaber erstellt ihn unter Integrationen › Braze."
    ),
    # --- the dashboard's range
    "The range {name!r} does not exist; use one of {ranges}.": (
        "Den Zeitraum {name!r} gibt es nicht; wählen Sie einen von {ranges}."
    ),
    "{field} {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-30.": (
        "{field} {text!r} ist kein Datum; schreiben Sie es als JJJJ-MM-TT, z. B. 2026-11-30."
    ),
    "A custom range needs a first and a last day (start and end, YYYY-MM-DD).": (
        "Ein eigener Zeitraum braucht einen ersten und einen letzten Tag (JJJJ-MM-TT)."
    ),
    "The last day {end} is before the first day {start}; swap them.": (
        "Der letzte Tag {end} liegt vor dem ersten Tag {start}; tauschen Sie sie."
    ),
    "The first day {start} is in the future; there are no numbers for it yet.": (
        "Der erste Tag {start} liegt in der Zukunft; dafür gibt es noch keine Zahlen."
    ),
    "A custom range may span at most ten years; choose a shorter one.": (
        "Ein eigener Zeitraum umfasst höchstens zehn Jahre; wählen Sie einen kürzeren."
    ),
}

ERRORS: Mapping[str, Mapping[str, str]] = {"de": _DE_ERRORS}

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


def said(error: DomainError, language: str) -> str:
    """A service's error sentence in the page's language, with its values (problems within it in that language
    too); the English sentence when the language has no translation of it."""
    template = ERRORS.get(language, {}).get(error.template)
    if template is None:
        return error.message
    values = {
        name: "; ".join(said(problem, language) for problem in value) if isinstance(value, Problems) else value
        for name, value in error.params.items()
    }
    return template.format(**values)
