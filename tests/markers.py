"""Which tests are ``slow`` and which are ``fuzz``: the inner loop (``make quick``) leaves them out, with the
browser tests (``browser``: every test in tests/e2e, marked by tests/e2e/conftest.py). ``make test`` runs them all.

The tables below name folders, files and test functions (a function with every parameter of it). Each area keeps
quick tests in the inner loop: a file whose tests are slow one by one is listed test by test. A function listed
here that its file no longer defines stops the run, so the table cannot quietly go stale: rename it here too.
"""

from __future__ import annotations

from typing import Any

import pytest

#: Folders and files that are slow as a whole.
SLOW_PATHS: dict[str, str] = {
    "tests/cluster/": "two gunicorn instances, nginx and an RQ worker: about a minute",
}

#: Test functions (each with every parameter) by file: 0.6 s of CPU or more a test in all (or 0.4 s in the test's own
#: body) where most take 0.05 to 0.2 (measured with per-test CPU time, 2026-12-06), or seconds of waiting: the demo
#: workshop, ``flask`` in a new interpreter, the PDF checker killed and restarted.
SLOW: dict[str, tuple[str, ...]] = {
    "tests/unit/test_affinity.py": (  # fits scikit-learn's TF-IDF
        "test_many_blocks_in_flight_and_a_helper_that_dies_with_answers_unread",
        "test_the_tfidf_is_scikit_learns_bit_for_bit",
    ),
    "tests/unit/test_command_line.py": (  # flask in a new interpreter
        "test_a_command_without_a_secret_key_refuses_to_run",
        "test_demo_help_without_a_secret_key_shows_its_options",
        "test_every_portal_command_help_works_without_a_secret_key",
        "test_flask_help_without_a_secret_key_lists_every_command",
        "test_flask_run_without_a_secret_key_refuses_to_serve",
    ),
    "tests/unit/test_conflicts.py": ("test_conflict_webmail_domain_is_ignored",),
    "tests/unit/test_solver_loads.py": (
        "test_fair_mode_on_a_scarce_instance_comes_close_to_the_exact_integer_program",  # HiGHS's exact program
        "test_fair_mode_keeps_every_hard_constraint_at_conference_size",  # 22,400 pairs, twice: 1.4 s each
    ),
    "tests/unit/test_pdf_corners.py": (  # a huge XMP packet
        "test_a_huge_xmp_packet_is_refused_before_it_is_parsed",
    ),
    "tests/unit/test_pdfcheck.py": (  # kills and restarts the PDF checker
        "test_a_killed_checker_server_is_replaced_and_the_next_upload_is_checked",
        "test_checks_at_once_after_the_server_died_all_get_their_answer_from_one_new_server",
        "test_the_checker_server_ends_when_its_worker_is_killed",
    ),
    "tests/unit/test_review_form_migration.py": ("test_the_migration_seeds_todays_form_for_an_existing_workshop",),  # migrates
    "tests/unit/test_sandbox.py": (  # runs a template to its output budget
        "test_big_ranges_joins_and_lists_hit_the_output_budget",
        "test_concatenation_and_doubling_hit_the_output_budget",
    ),
    "tests/views/test_backup.py": (  # a backup and a restore
        "test_backup_then_restore_into_a_fresh_instance_brings_back_every_row_and_file",
        "test_restore_of_a_damaged_backup_is_refused_and_changes_nothing",
    ),
    "tests/views/test_bids_paged.py": (  # builds the 300-paper world, reads all six pages
        "test_bid_list_shows_fifty_a_page_best_match_first_and_the_pager_keeps_the_filters",
    ),
    "tests/views/test_cli.py": (  # loads the demo workshop
        "test_demo_if_empty_leaves_an_existing_workshop_alone",
        "test_demo_loads_the_workshop_with_open_submissions",
    ),
    "tests/views/test_console.py": (
        "test_audit_log_lists_chair_actions_and_finds_them_by_words_actor_and_kind",
        "test_home_and_table_issue_as_many_statements_for_2000_papers_as_for_20",
        "test_odd_numbers_in_urls_and_queries_are_not_found_never_an_error",
        "test_refused_actions_leave_no_audit_entry",
    ),
    "tests/views/test_program.py": (  # three PDF checks in the checker's child process
        "test_authors_add_slides_and_a_video_shown_on_the_paper_and_its_slot",
    ),
    "tests/views/test_demo_program.py": (  # loads the demo workshop at the program phase, then again
        "test_the_program_demo_builds_and_publishes_the_workshop_day",
    ),
    "tests/views/test_demo_sponsor.py": (  # loads the demo workshop at the program phase, then again
        "test_the_program_demo_has_a_confirmed_gold_sponsor_and_a_reset_removes_it",
    ),
    "tests/views/test_demo_phases.py": (  # loads the demo workshop at one phase or two
        "test_the_demo_area_chairs_sign_in_at_every_phase_and_oversee_a_quarter_of_the_papers",
        "test_the_response_phase_as_each_person_sees_it",
        "test_the_meta_review_phase_as_each_person_sees_it",
        "test_at_the_decisions_every_meta_review_is_in_beside_the_scores",
    ),
    "tests/views/test_demo_large.py": (  # loads the demo workshop
        "test_demo_default_stays_the_small_one",
        "test_a_demo_reset_unpublishes_the_accepted_papers_and_the_menu_forgets_them",
        "test_demo_large_accounts_sign_in_and_see_their_work",
        "test_demo_large_builds_the_size_asked_at_each_phase",
        "test_demo_large_is_the_same_for_the_same_size",
        "test_demo_small_reviews_are_not_one_text",
    ),
    "tests/views/test_page_budget.py": (  # builds two large demos and crawls every page in each
        "test_every_page_at_300_papers_is_within_budget_fails_nowhere_and_issues_as_many_statements_as_at_60",
    ),
    "tests/views/test_demo_reset.py": (  # loads the demo workshop
        "test_demo_reset_says_what_goes_and_asks_first",
        "test_demo_reset_with_yes_starts_over_with_the_demo_alone",
    ),
    "tests/views/test_faults.py": ("test_a_database_error_after_the_commit_keeps_the_submission_and_its_receipt_queued",),
    "tests/views/test_guards.py": (
        "test_a_chairs_conflicts_are_read_once_a_request_however_many_papers",
        "test_chair_who_is_an_author_sees_nothing_of_their_papers_reviewing",
        "test_coauthor_who_changes_address_stays_an_author",
        "test_discussion_names_each_participant_as_the_reader_may_know_them",
    ),
    "tests/views/test_jobs_deferred.py": ("test_group_mail_whose_audience_changes_before_the_worker_runs_sends_nothing",),
    "tests/views/test_pagecache.py": ("test_query_strings_and_made_up_hosts_cannot_fill_the_memory",),
    "tests/views/test_people.py": (
        "test_author_who_changes_address_and_affiliation_stays_author_and_conflicted",
        "test_authors_pick_a_committee_member_as_a_conflict_with_a_reason_and_take_it_back",
        "test_chair_who_changed_address_is_still_an_author_gets_no_mail_and_sees_nothing_of_the_paper",
        "test_discussion_opens_to_a_reviewer_after_their_own_review_and_mails_only_its_readers",
        "test_paper_every_chair_conflicts_with_gets_a_manager_who_handles_it_alone",
        "test_reviewer_who_moves_to_an_authors_domain_is_suspended_until_a_chair_lifts_the_conflict",
        "test_reviewers_declared_person_conflict_follows_that_person_to_a_new_address",
        "test_reviewers_who_join_an_authors_institution_are_suspended_and_removed_unless_their_review_is_in",
        "test_stale_letter_is_not_sent_until_the_drafts_are_prepared_again",
    ),
    "tests/views/test_public.py": ("test_speakers_page_shows_each_speaker_and_affiliation",),
    "tests/views/test_races.py": (  # two requests at once
        "test_a_new_submission_posted_twice_one_after_the_other_is_one_submission",
        "test_a_reviewer_removed_while_submitting_a_first_review_is_never_told_both",
        "test_proposals_applied_at_once_apply_one_and_keep_every_limit",
    ),
    "tests/views/test_area_chair_papers.py": (  # every role through the area chairs' routes; mail waited for
        "test_the_area_chairs_routes_answer_each_person_as_they_may",
        "test_the_area_chair_asks_for_an_extra_review_and_the_chairs_see_it",
        "test_the_area_chair_reminds_a_late_reviewer_by_mail",
    ),
    "tests/views/test_review_form.py": (  # reviews through the forms, a letter over SMTP, the exports
        "test_each_visibility_on_the_pages_the_letter_and_the_exports",
        "test_a_form_changed_after_reviews_exist_keeps_every_answer",
        "test_a_removed_reviewers_draft_keeps_the_added_fields_answers",
        "test_console_column_shows_sorts_and_filters_by_a_score",
    ),
    "tests/views/test_reviewing.py": (
        "test_at_conference_size_the_proposal_says_its_candidates_were_chosen_approximately",
        "test_automatic_assignment_preview_hand_edits_and_apply_mail_each_reviewer_once",
        "test_blank_comment_is_refused_with_a_message",
        "test_chair_sees_every_review_with_the_reviewers_names",
        "test_discussion_mails_the_other_reviewers_and_the_chairs_never_the_authors",
        "test_discussion_opens_to_a_reviewer_only_after_their_own_review",
        "test_double_blind_reviewer_pages_and_pdf_show_no_author",
        "test_external_reviewer_invited_for_one_paper_registers_and_is_assigned",
        "test_reviewing_settings_save_a_reviewers_load",
    ),
    "tests/views/test_api.py": ("test_an_author_submits_changes_and_revises_a_paper_through_the_api",),  # two PDF checks
    "tests/views/test_api_audit.py": ("test_every_api_route_answers_each_role_as_the_table_says",),  # the audit's world
    "tests/views/test_api_example.py": ("test_the_example_script_invites_downloads_reviews_and_decides",),  # a live server
    "tests/views/test_api_chairs.py": (  # the large demo at 20 papers (and 60)
        "test_a_reviewer_bids_through_the_api_as_on_the_bid_list",
        "test_decisions_list_the_pages_papers_in_its_order_and_a_decision_needs_the_version",
        "test_every_review_for_a_spreadsheet_and_a_reviewers_own_review",
        "test_invitations_people_and_roles",
        "test_list_endpoints_take_as_many_statements_at_20_papers_as_at_60",
        "test_the_automatic_assignment_is_a_job_whose_proposal_is_read_and_applied",
    ),
    "tests/views/test_route_audit.py": (  # the route-by-role audit world
        "test_a_chair_who_is_an_author_sees_nothing_of_that_papers_review",
        "test_an_author_by_an_earlier_address_is_an_author_everywhere_and_conflicted_as_a_reviewer",
        "test_every_route_answers_each_role_as_the_table_says",
    ),
    "tests/views/test_security_regressions.py": (
        "test_authors_never_learn_who_reviewed_them_from_pages_mails_files_or_searches",
        "test_double_blind_reviewers_learn_no_author_from_mails_file_metadata_or_search",
        "test_every_file_url_gives_only_the_persons_own_files_whatever_ids_are_swapped",
        "test_every_page_a_signed_in_person_opens_is_never_stored_by_a_shared_cache",
        "test_hostile_text_about_a_paper_is_shown_escaped_on_every_page_that_shows_it",
        "test_hostile_text_from_chairs_and_visitors_is_shown_escaped_on_every_page_that_shows_it",
        "test_next_never_sends_the_browser_to_another_site",
    ),
    "tests/views/test_submission_permissions.py": ("test_coauthor_removed_from_the_list_loses_access",),
    "tests/views/test_submissions.py": (
        "test_ten_thousand_authors_are_refused_promptly",
        "test_too_many_authors_are_refused_and_the_list_cut_to_fifty",
    ),
    "tests/views/test_users_cli.py": (  # loads the demo workshop
        "test_demo_creates_the_documented_accounts",
        "test_demo_refuses_a_database_with_a_real_account",
        "test_demo_run_twice_resets_its_own_accounts",
    ),
}

FUZZ: dict[str, str] = {
    "tests/unit/test_conflict_rules_agree.py": "Hypothesis builds worlds and compares the two readings of the conflict rules",
    "tests/views/test_bids_conflicts_agree.py": "Hypothesis: the bid list's shortcut to the conflict rules in the same worlds",
    "tests/views/test_fuzz_forms.py": "Hypothesis: 15 random posts to each of 41 forms and 7 search pages",
}


def _marks(nodeid: str) -> list[pytest.MarkDecorator]:
    path, _, name = nodeid.partition("::")
    marks = []
    if any(path.startswith(p) if p.endswith("/") else path == p for p in SLOW_PATHS) or name.split("[")[0] in SLOW.get(path, ()):
        marks.append(pytest.mark.slow)
    if path in FUZZ:
        marks.append(pytest.mark.fuzz)
    return marks


def apply(items: list[pytest.Item]) -> None:
    """Add the ``slow`` and ``fuzz`` marks to the collected items the tables name."""
    modules: dict[str, Any] = {}
    for item in items:
        for mark in _marks(item.nodeid):
            item.add_marker(mark)
        modules.setdefault(item.nodeid.partition("::")[0], getattr(item, "module", None))
    for path, names in SLOW.items():
        module = modules.get(path)
        if module is None:  # the file was not collected in this run
            continue
        gone = [name for name in names if not hasattr(module, name)]
        if gone:
            raise pytest.UsageError(f"tests/markers.py: {path} defines no {', '.join(gone)}")


def long_first(items: list[pytest.Item]) -> None:
    """Put the long tests first (slow, browser and cluster, then fuzz), each group in collection order. pytest-xdist
    hands a worker the next test in this order when it runs short (``--dist loadgroup``), so the long ones start
    while the many short ones are still waiting and fill the gaps: in collection order the route audit (184 s on
    PostgreSQL on a loaded machine) or the page budget could start last and leave one worker running alone."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("slow") or item.nodeid.startswith(("tests/e2e/", "tests/cluster/")):
            return 0
        return 1 if item.get_closest_marker("fuzz") else 2

    items.sort(key=rank)  # stable: collection order within each group
