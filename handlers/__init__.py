"""Thin Telegram adapters, registered in one ordered place.

Groups run in order for every update; within a group the first matching handler wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from bot.render import admin as render_admin
from bot.render import alerts as render_alerts
from bot.render import digest as render_digest
from bot.render import duty as render_duty
from bot.render import faq as render_faq
from bot.render import faq_add as render_faq_add
from bot.render import holidays as render_holidays
from bot.render import joining as render_joining
from bot.render import leaders as render_leaders
from bot.render import leave_form as render_leave
from bot.render import next_steps as render_next
from bot.render import notices as render_notices
from bot.render import onboarding as render_onboarding
from bot.render import prompts as render_prompts
from bot.render import quiet_buttons as render_quiet
from bot.render import reports as render_reports
from bot.render import schedule_form as render_schedule
from bot.render import settings as render_settings
from bot.render import shift_form as render_shift
from bot.render import volunteers as render_volunteers
from bot.runtime import notice_progress
from bot.services.drafts import DraftKind
from handlers import (
    admin,
    common,
    duty,
    errors,
    family,
    faq,
    faq_add,
    faq_admin,
    holidays,
    joining,
    leaders,
    leave_form,
    next_steps,
    notices,
    onboarding,
    report,
    routes,
    schedule,
    settings,
    shift_form,
    status,
    users,
    volunteers,
)

if TYPE_CHECKING:
    from bot.runtime.app import SelfreportApp

# Group -1 first of all: an update delivered again (same update_id) stops there
# (bot.runtime.dedup); the others record the account, set the language, the actor and the
# open form for the whole update (handlers/routes.py reads them), in one statement.
GROUP_USER = -1
GROUP_MAIN = 0

TEXT = filters.TEXT & ~filters.COMMAND
FILE = (filters.PHOTO | filters.Document.ALL) & ~filters.FORWARDED


def register(app: SelfreportApp) -> None:
    app.add_handler(TypeHandler(Update, users.remember_user), group=GROUP_USER)

    app.add_handlers(
        [
            CommandHandler("start", onboarding.start),
            CommandHandler("help", common.show_help),
            CommandHandler("language", common.choose_language),
            CallbackQueryHandler(common.language_chosen,
                                 pattern=render_settings.LANGUAGE.pattern),
            MessageHandler(filters.CONTACT, onboarding.share_contact),
            CallbackQueryHandler(joining.start_join, pattern=render_joining.JOIN_START.pattern),
            CallbackQueryHandler(joining.browse_units,
                                 pattern=render_joining.JOIN_BROWSE.pattern),
            CallbackQueryHandler(joining.pick_unit, pattern=render_joining.JOIN_PICK.pattern),
            CallbackQueryHandler(joining.decide_join,
                                 pattern=render_joining.JOIN_DECIDE.pattern),
            CommandHandler("family", family.show_family),
            CommandHandler("me", family.show_me),
            CallbackQueryHandler(family.add_pressed, pattern=render_onboarding.FAMILY_ADD.pattern),
            CallbackQueryHandler(family.list_pressed,
                                 pattern=render_onboarding.FAMILY_LIST.pattern),
            CallbackQueryHandler(family.cancel_pressed,
                                 pattern=render_onboarding.FAMILY_CANCEL.pattern),
            CallbackQueryHandler(family.rename_pressed,
                                 pattern=render_onboarding.FAMILY_RENAME.pattern),
            CallbackQueryHandler(family.delete_pressed,
                                 pattern=render_onboarding.FAMILY_DELETE.pattern),
            CallbackQueryHandler(family.remove_pressed,
                                 pattern=render_onboarding.FAMILY_REMOVE.pattern),
            CallbackQueryHandler(family.relation_pressed,
                                 pattern=render_onboarding.FAMILY_RELATION.pattern),
            CommandHandler("quiet", settings.set_quiet_hours),
            CallbackQueryHandler(settings.quiet_pressed, pattern=render_quiet.QUIET.pattern),
            CommandHandler("leave", settings.record_leave),
            CallbackQueryHandler(settings.leave_picked,
                                 pattern=render_settings.LEAVE_PICK.pattern),
            CallbackQueryHandler(settings.leave_cancelled,
                                 pattern=render_settings.LEAVE_CANCEL.pattern),
            CallbackQueryHandler(leave_form.new_pressed, pattern=render_leave.LEAVE_NEW.pattern),
            CallbackQueryHandler(leave_form.unit_pressed,
                                 pattern=render_leave.LEAVE_UNIT.pattern),
            CallbackQueryHandler(leave_form.who_pressed, pattern=render_leave.LEAVE_WHO.pattern),
            CallbackQueryHandler(leave_form.preset_pressed,
                                 pattern=render_leave.LEAVE_PRESET.pattern),
            CommandHandler("status", status.show_status),
            CallbackQueryHandler(status.status_button, pattern=render_digest.STATUS.pattern),
            CallbackQueryHandler(status.status_page, pattern=render_digest.STATUS_PAGE.pattern),
            CallbackQueryHandler(status.drill_pressed, pattern=render_next.NEXT_DRILL.pattern),
            CallbackQueryHandler(next_steps.remind_pressed,
                                 pattern=render_next.NEXT_REMIND.pattern),
            CallbackQueryHandler(next_steps.alerts_pressed,
                                 pattern=render_next.NEXT_ALERTS.pattern),
            CallbackQueryHandler(next_steps.handled_pressed,
                                 pattern=render_next.NEXT_HANDLED.pattern),
            CommandHandler("report", report.show_report),
            CommandHandler("history", report.show_history),
            CommandHandler("cancel", report.cancel_form),
            CallbackQueryHandler(report.report_button, pattern=render_prompts.REPORT.pattern),
            CallbackQueryHandler(report.amend_button, pattern=render_reports.AMEND.pattern),
            CallbackQueryHandler(report.form_button, pattern=render_reports.FORM.pattern),
            CommandHandler("contacts", leaders.show_contacts),
            *(CallbackQueryHandler(leaders.contacts_button(button), pattern=codec.pattern)
              for button, codec in render_leaders.CONTACTS.items()),
            CommandHandler("remind", leaders.remind),
            CommandHandler("export", leaders.export_reports),
            CommandHandler("report_for", leaders.report_for),
            *(CallbackQueryHandler(leaders.report_for_button(button), pattern=codec.pattern)
              for button, codec in render_leaders.REPORT_FOR.items()),
            CallbackQueryHandler(leaders.alert_handled,
                                 pattern=render_alerts.ALERT_HANDLED.pattern),
            CommandHandler("notice", notices.start_notice),
            CallbackQueryHandler(notices.notice_cancel,
                                 pattern=render_notices.FLOW_CANCEL.pattern),
            CallbackQueryHandler(notices.notice_target,
                                 pattern=render_notices.FLOW_TARGET.pattern),
            CallbackQueryHandler(notices.notice_unit, pattern=render_notices.FLOW_UNIT.pattern),
            CallbackQueryHandler(notices.notice_ack, pattern=render_notices.FLOW_ACK.pattern),
            CallbackQueryHandler(notices.notice_now, pattern=render_notices.FLOW_NOW.pattern),
            CallbackQueryHandler(notices.notice_send, pattern=render_notices.FLOW_SEND.pattern),
            CallbackQueryHandler(notices.acknowledge, pattern=render_notices.ACKNOWLEDGE.pattern),
            CommandHandler("notices", notices.show_notices),
            CallbackQueryHandler(notices.notice_detail, pattern=render_notices.LIST_VIEW.pattern),
            CallbackQueryHandler(notices.notice_remind,
                                 pattern=render_notices.LIST_REMIND.pattern),
            CommandHandler("import", admin.start_import),
            CallbackQueryHandler(admin.import_confirm,
                                 pattern=render_admin.IMPORT_CONFIRM.pattern),
            CallbackQueryHandler(admin.import_cancel, pattern=render_admin.IMPORT_CANCEL.pattern),
            CommandHandler("invite", admin.create_invite),
            CommandHandler("setschedule", admin.set_schedule),
            CommandHandler("holidays", holidays.show_holidays),
            CallbackQueryHandler(holidays.add_pressed,
                                 pattern=render_holidays.HOLIDAY_NEW.pattern),
            CallbackQueryHandler(holidays.remove_pressed,
                                 pattern=render_holidays.HOLIDAY_REMOVE.pattern),
            CallbackQueryHandler(schedule.field_pressed,
                                 pattern=render_schedule.SCHED_FIELD.pattern),
            CallbackQueryHandler(schedule.value_pressed,
                                 pattern=render_schedule.SCHED_VALUE.pattern),
            CallbackQueryHandler(schedule.back_pressed,
                                 pattern=render_schedule.SCHED_BACK.pattern),
            CommandHandler("members", admin.show_members),
            CallbackQueryHandler(admin.members_page, pattern=render_admin.MEMBERS_PAGE.pattern),
            CallbackQueryHandler(admin.member_details, pattern=render_admin.MEMBER.pattern),
            CommandHandler("duty", duty.show_duty),
            CommandHandler("shifts", duty.show_shifts),
            CommandHandler("shift_add", duty.add_shift),
            CallbackQueryHandler(shift_form.new_pressed, pattern=render_shift.SHIFT_NEW.pattern),
            CallbackQueryHandler(shift_form.pick_pressed,
                                 pattern=render_shift.SHIFT_PICK.pattern),
            CommandHandler("shift_assign", duty.assign_shift),
            CommandHandler("duty_import", duty.start_import),
            CallbackQueryHandler(duty.confirm_button, pattern=render_duty.CONFIRM.pattern),
            CallbackQueryHandler(duty.swap_button, pattern=render_duty.SWAP.pattern),
            CallbackQueryHandler(duty.swap_partner_button, pattern=render_duty.SWAP_WITH.pattern),
            CallbackQueryHandler(duty.accept_button, pattern=render_duty.SWAP_ACCEPT.pattern),
            CallbackQueryHandler(duty.decline_button, pattern=render_duty.SWAP_DECLINE.pattern),
            CallbackQueryHandler(duty.remove_button, pattern=render_duty.REMOVE.pattern),
            CommandHandler("volunteer", volunteers.start_volunteer),
            CommandHandler("volunteers", volunteers.show_volunteers),
            CallbackQueryHandler(volunteers.toggle_button,
                                 pattern=render_volunteers.TOGGLE.pattern),
            CallbackQueryHandler(volunteers.save_button, pattern=render_volunteers.SAVE.pattern),
            CallbackQueryHandler(volunteers.withdraw_button,
                                 pattern=render_volunteers.WITHDRAW.pattern),
            CallbackQueryHandler(volunteers.thank_button, pattern=render_volunteers.THANK.pattern),
            CommandHandler("rules", faq.show_rules),
            CommandHandler("check", faq.check_command),
            CommandHandler("questions", faq.list_questions),
            CommandHandler("answer", faq.answer_command),
            CommandHandler("faq_stats", faq_admin.show_stats, filters=routes.ADMIN),
            CommandHandler("faq_reload", faq_admin.reload_kb, filters=routes.ADMIN),
            CommandHandler("faq_add", faq_add.start_faq_add, filters=routes.ADMIN),
            CommandHandler(["faq_stats", "faq_reload", "faq_add"], faq_admin.admins_only),
            CallbackQueryHandler(faq_add.topic_button, pattern=render_faq_add.TOPIC.pattern),
            CallbackQueryHandler(faq_add.keep_button, pattern=render_faq_add.KEEP.pattern),
            CallbackQueryHandler(faq_add.edit_question_button,
                                 pattern=render_faq_add.EDIT_QUESTION.pattern),
            CallbackQueryHandler(faq_add.edit_answer_button,
                                 pattern=render_faq_add.EDIT_ANSWER.pattern),
            CallbackQueryHandler(faq_add.save_button, pattern=render_faq_add.SAVE.pattern),
            CallbackQueryHandler(faq_add.cancel_button, pattern=render_faq_add.CANCEL.pattern),
            CallbackQueryHandler(faq.menu_button, pattern=render_faq.MENU.pattern),
            CallbackQueryHandler(faq.topic_button, pattern=render_faq.TOPIC.pattern),
            CallbackQueryHandler(faq.entry_button, pattern=render_faq.ENTRY.pattern),
            CallbackQueryHandler(faq.candidate_button, pattern=render_faq.CANDIDATE.pattern),
            CallbackQueryHandler(faq.vote_button, pattern=render_faq.VOTE.pattern),
            CallbackQueryHandler(faq.send_rumour_button, pattern=render_faq.SEND_RUMOUR.pattern),
            CallbackQueryHandler(faq.not_helpful_button, pattern=render_faq.NOT_HELPFUL.pattern),
            CallbackQueryHandler(faq.ask_person_button, pattern=render_faq.ASK_PERSON.pattern),
            # A forwarded message is a claim to check against the rumour list, never a form's
            # answer or a question.
            MessageHandler(filters.FORWARDED & (filters.TEXT | filters.CAPTION)
                           & ~filters.COMMAND, faq.check_forward),
            # A staff member's reply to a hand-over is its answer, even with a form open.
            MessageHandler(TEXT & routes.STAFF & routes.HANDOVER_REPLY, faq.answer_reply),
            # Free text answers the step of the sender's open form, one handler per kind...
            MessageHandler(TEXT & routes.open_form(DraftKind.INVITE), onboarding.invite_name),
            MessageHandler(TEXT & routes.open_form(DraftKind.JOIN), joining.join_name),
            MessageHandler(TEXT & routes.open_form(DraftKind.SCHEDULE), schedule.schedule_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.LEAVE), leave_form.leave_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.HOLIDAY), holidays.holiday_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.SHIFT_ADD), shift_form.shift_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.FAMILY), family.family_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.REPORT), report.report_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.CONTACT), leaders.contact_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.REPORT_FOR),
                           leaders.report_for_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.NOTICE), notices.notice_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.FAQ_ADD), faq_add.faq_add_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.ROSTER_IMPORT), admin.import_text),
            MessageHandler(TEXT & routes.open_form(DraftKind.DUTY_SWAP), duty.duty_answer),
            MessageHandler(TEXT & routes.open_form(DraftKind.VOLUNTEER),
                           volunteers.volunteer_note),
            # ...and with none open (or /duty_import's, which wants a file) it is a question
            # for the rules Q&A.
            MessageHandler(TEXT, faq.answer_question),
            # Files: a duty roster after /duty_import; a member roster captioned /import or
            # after it; a notice's content while composing one; anything else is not
            # understood (common.other_message, below).
            MessageHandler(filters.Document.ALL & ~filters.FORWARDED
                           & routes.open_form(DraftKind.DUTY_IMPORT), duty.duty_document),
            MessageHandler(FILE & (filters.CaptionRegex(admin.IMPORT_CAPTION)
                                   | routes.open_form(DraftKind.ROSTER_IMPORT)),
                           admin.import_file),
            MessageHandler(FILE & routes.open_form(DraftKind.NOTICE), notices.notice_media),
            # Last: whatever no handler above took.
            MessageHandler(filters.COMMAND, common.unknown_command),
            MessageHandler(filters.ALL, common.other_message),
            CallbackQueryHandler(common.stale_button),
        ],
        group=GROUP_MAIN,
    )
    app.add_error_handler(errors.on_error)
    if app.bot_data.metrics is not None:  # counts errors for /metrics; PTB calls both
        app.add_error_handler(app.bot_data.metrics.count_error)
    # Due notices into the outbox and the senders' progress messages, every few seconds.
    notice_progress.schedule_jobs(app)
    # Entries promoted with /faq_add on another instance, laid on this one's knowledge base.
    faq_add.schedule_jobs(app)
