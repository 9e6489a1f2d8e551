"""The test matrix of docs/RELIABILITY.md (B0-B8), row by row: which test covers it, or why none applies.

``ROWS`` maps a row id (``"<group>/<row>"``; B0 rows are named after their first cell) to one or
more pytest node ids, or to ``"n/a: <reason>"``. ``GAPS`` lists the rows where the package does
less than the row of docs/RELIABILITY.md asks: the test covers what exists, and the gap says what
does not (a strict ``xfail`` test pins it where one is cheap). ``tests/test_reliability_matrix.py``
checks that every row of docs/RELIABILITY.md is here and that every referenced test exists;
``scripts/reliability.py`` prints the coverage in the generated ``RELIABILITY.md``.
"""

from __future__ import annotations

R = "tests/reliability/"
B0 = R + "test_b1_transport.py::"
B1 = R + "test_b1_transport.py::"
B2 = R + "test_b2_bulk.py::"
B3 = R + "test_b3_pagination.py::"
B4 = R + "test_b4_security.py::"
B5 = R + "test_b5_bad_inputs.py::"
B7 = R + "test_b7_property_load.py::"
APPLY = "tests/bulk/test_apply.py::"
PACING = "tests/bulk/test_pacing.py::"
UNDER = "tests/bulk/test_account_changes_under_you.py::"
B8 = R + "test_b8_colleague.py::"
RERUN = "tests/cli/test_rerun.py::"
WIDGETS = "tests/widgets/"

# First cells of the two B0 tables -> row ids.
B0_FAILURES = {
    "Connect error / connect timeout (never sent)": "B0/connect-error",
    "429 with Retry-After ≤ cap": "B0/429-within-cap",
    "429 with Retry-After > cap (60 s)": "B0/429-over-cap",
    "429 without Retry-After": "B0/429-no-retry-after",
    "503": "B0/503",
    "500 / 502 / 504, read timeout, reset after send": "B0/5xx-timeout-reset",
    "400 / 401 / 403 / 404 / 422": "B0/4xx",
    "409": "B0/409",
    "TLS verification failure": "B0/tls",
}
B0_SETTINGS = {
    "Connect timeout": "B0/default-connect-timeout",
    "Read timeout": "B0/default-read-timeout",
    "Attempts": "B0/default-attempts",
    "Backoff (no Retry-After)": "B0/default-backoff",
    "Retry-After": "B0/default-retry-after",
    "Overall deadline per call": "B0/default-deadline",
    "Retry budget per client": "B0/default-retry-budget",
    "Bulk writes": "B0/default-bulk-writes",
    "Reads": "B0/default-reads",
    "After any 429": "B0/default-shared-pause",
}

ROWS: dict[str, str | tuple[str, ...]] = {
    # -- B0: the retry contract ----------------------------------------------------------------
    "B0/connect-error": (
        B0 + "test_b0_never_sent_failures_are_retried_for_every_call",
        B7 + "test_f6_every_operation_survives_every_toxic",
    ),
    "B0/429-within-cap": B0 + "test_b0_429_within_the_cap_is_waited_out_for_every_call",
    "B0/429-over-cap": (
        B0 + "test_b0_429_beyond_the_cap_raises_at_once_for_every_call",
        B1 + "test_r4_a_long_retry_after_fails_fast_with_a_resumable_drain",
    ),
    "B0/429-no-retry-after": (
        B0 + "test_b0_429_without_retry_after_backs_off_with_jitter",
        "tests/http/test_retry_policy.py::test_a_429_without_retry_after_backs_off_from_the_throttled_base",
    ),
    "B0/503": B0 + "test_b0_5xx_is_retried_and_create_reconciles_first",
    "B0/5xx-timeout-reset": (
        B0 + "test_b0_5xx_is_retried_and_create_reconciles_first",
        B0 + "test_b0_ambiguous_failures_after_commit",
        B0 + "test_b0_a_404_on_the_first_delete_attempt_is_an_error",
    ),
    "B0/4xx": (
        B0 + "test_b0_client_errors_are_never_retried",
        B0 + "test_b0_a_404_on_the_first_delete_attempt_is_an_error",
    ),
    "B0/409": (
        B0 + "test_b0_409_is_never_retried",
        B1 + "test_r9_commit_after_the_timeout_with_lagging_reads_is_adopted_after_409",
    ),
    "B0/tls": B1 + "test_r18_tls_failure_is_one_attempt_with_a_clear_message",
    "B0/default-connect-timeout": B0 + "test_b0_defaults_match_the_contract",
    "B0/default-read-timeout": B0 + "test_b0_defaults_match_the_contract",
    "B0/default-attempts": (
        B0 + "test_b0_defaults_match_the_contract",
        B1 + "test_r5_429_forever_gives_up_with_the_problem_details",
    ),
    "B0/default-backoff": (
        B0 + "test_b0_defaults_match_the_contract",
        B0 + "test_b0_429_without_retry_after_backs_off_with_jitter",
    ),
    "B0/default-retry-after": (
        B1 + "test_r3_malformed_retry_after_never_crashes",
        B7 + "test_f4_retry_after_is_none_or_a_finite_wait_within_the_cap",
    ),
    "B0/default-deadline": B1 + "test_r6_persistent_503_gives_up_within_the_deadline",
    "B0/default-retry-budget": B1 + "test_r24_an_outage_exhausts_a_retry_budget",
    "B0/default-bulk-writes": (
        B0 + "test_b0_writes_are_paced_by_a_client_side_limiter",
        B2 + "test_b13_a_rate_limited_apply_completes",
        PACING + "test_the_learnt_rate_converges_under_the_sandboxs_write_limit",
    ),
    "B0/default-reads": B1 + "test_b0_reads_can_be_paced_too",
    "B0/default-shared-pause": (
        B1 + "test_r25_one_429_pauses_every_worker",
        APPLY + "test_one_429_pauses_every_worker",
    ),
    # -- B1: transport faults --------------------------------------------------------------------
    "B1/R1": (
        B1 + "test_r1_two_429s_are_waited_out_exactly",
        B1 + "test_r1_real_clock_waits_out_retry_after",
    ),
    "B1/R2": B1 + "test_r2_http_dates_do_not_depend_on_the_time_zone",
    "B1/R3": B1 + "test_r3_malformed_retry_after_never_crashes",
    "B1/R4": B1 + "test_r4_a_long_retry_after_fails_fast_with_a_resumable_drain",
    "B1/R5": B1 + "test_r5_429_forever_gives_up_with_the_problem_details",
    "B1/R6": B1 + "test_r6_persistent_503_gives_up_within_the_deadline",
    "B1/R7": (
        B1 + "test_r7_create_committed_then_reset_is_adopted_not_resent",
        B1 + "test_r7_over_a_real_connection_reset",
        B1 + "test_b1_create_through_the_proxy_never_duplicates",
        B1 + "test_r7_a_bulk_create_adopted_after_a_lost_answer_is_marked_reconciled",
    ),
    "B1/R8": B1 + "test_r8_create_reset_before_commit_is_sent_again",
    "B1/R9": (
        B1 + "test_r9_commit_after_the_timeout_with_lagging_reads_is_adopted_after_409",
        B1 + "test_r9_a_same_named_org_with_another_description_is_not_adopted",
    ),
    "B1/R10": (
        B1 + "test_r10_create_after_500_reconciles_then_retries",
        B0 + "test_b0_5xx_is_retried_and_create_reconciles_first",
    ),
    "B1/R11": (
        B1 + "test_r11_a_409_after_an_ambiguous_attempt_is_still_a_conflict",
        B0 + "test_b0_409_is_never_retried",
    ),
    "B1/R12": B0 + "test_b0_ambiguous_failures_after_commit",
    "B1/R13": (
        B0 + "test_b0_ambiguous_failures_after_commit",
        B0 + "test_b0_a_404_on_the_first_delete_attempt_is_an_error",
    ),
    "B1/R14": B0 + "test_b0_ambiguous_failures_after_commit",
    "B1/R15": B0 + "test_b0_ambiguous_failures_after_commit",
    "B1/R16": (
        B1 + "test_r16_a_401_mid_apply_stops_everything_not_yet_sent",
        APPLY + "test_a_401_stops_the_rest_of_the_apply",
    ),
    "B1/R17": (
        B1 + "test_r17_a_403_fails_its_row_and_the_others_continue",
        "tests/http/test_retry_policy.py::test_a_403_names_the_least_privilege_the_call_needs",
        WIDGETS + "test_actions_and_messages.py::test_every_error_class_has_a_one_line_message",
    ),
    "B1/R18": B1 + "test_r18_tls_failure_is_one_attempt_with_a_clear_message",
    "B1/R19": (
        B1 + "test_r19_connection_refused_backs_off_then_says_cannot_reach",
        B1 + "test_r19_a_server_down_for_a_while_is_waited_out",
    ),
    "B1/R20": B1 + "test_r20_latency_beyond_the_read_timeout_times_out_each_attempt",
    "B1/R21": (
        B1 + "test_r21_a_body_cut_short_is_retried_or_reconciled_never_taken_as_success",
        B1 + "test_r21_bodies_that_break_the_contract_are_protocol_errors",
    ),
    "B1/R22": (
        B1 + "test_r22_problem_bodies_are_parsed_leniently",
        B1 + "test_r22_a_500_with_a_deeply_nested_problem_is_still_a_server_error",
    ),
    "B1/R23": B1 + "test_r23_an_undeclared_2xx_is_judged_by_its_body",
    "B1/R24": B1 + "test_r24_an_outage_exhausts_a_retry_budget",
    "B1/R25": B1 + "test_r25_one_429_pauses_every_worker",
    # -- B2: bulk apply ------------------------------------------------------------------------------
    "B2/B1": B2 + "test_b1_an_unedited_frame_plans_nothing",
    "B2/B2": (
        APPLY + "test_random_edits_converge_and_a_second_plan_is_empty",
        B7 + "TestAccountModel::runTest",
    ),
    "B2/B3": B2 + "test_b3_a_stale_plan_is_refused_before_any_write",
    "B2/B4": B2 + "test_b4_random_failures_end_every_row_terminal_and_retries_converge",
    "B2/B5": (
        B2 + "test_b5_b6_an_apply_killed_at_write_k_resumes_without_repeating",
        APPLY + "test_an_apply_killed_after_k_writes_resumes_without_repeating",
    ),
    "B2/B6": (
        B2 + "test_b5_b6_an_apply_killed_at_write_k_resumes_without_repeating",
        APPLY + "test_swap_and_three_cycle_go_through_temporary_names",
    ),
    "B2/B7": (
        APPLY + "test_a_chain_renames_the_tail_first",
        APPLY + "test_swap_and_three_cycle_go_through_temporary_names",
        B2 + "test_b7_a_create_of_a_name_a_rename_frees_runs_after_the_renames",
    ),
    "B2/B8": B2 + "test_b8_b9_member_rows_for_a_failed_create_or_a_deleted_org_send_nothing",
    "B2/B9": B2 + "test_b8_b9_member_rows_for_a_failed_create_or_a_deleted_org_send_nothing",
    "B2/B10": B2 + "test_b10_conflicting_rows_are_plan_errors_with_zero_calls",
    "B2/B11": (
        B2 + "test_b11_rows_dropped_by_accident_are_never_deletes",
        "tests/bulk/test_plan_rules.py::test_a_dropped_row_is_never_a_delete_unless_asked",
    ),
    "B2/B12": (
        B2 + "test_b12_a_wrong_confirmation_sends_no_delete",
        APPLY + "test_unconfirmed_destructive_plans_are_refused_with_zero_writes",
    ),
    "B2/B13": (
        B2 + "test_b13_a_paced_apply_under_the_service_limit_meets_no_429",
        B2 + "test_b13_a_rate_limited_apply_completes",
    ),
    "B2/B14": (
        "n/a: the package has no dry-run (the API has no dry-run parameter, and a plan's org ids only "
        "exist on the account it was made from, so it cannot be replayed on a stand-in seeded from the "
        "snapshot without an id map)"
    ),
    "B2/B15": B2 + "test_b15_rule_violations_are_caught_before_any_call",
    "B2/B16": B2 + "test_b16_the_call_budget_is_edits_plus_pages",
    "B2/B17": B2 + "test_b17_rerunning_a_finished_apply_sends_nothing",
    "B2/B18": (
        APPLY + "test_the_journal_records_intent_and_outcome_and_undo_restores",
        APPLY + "test_memberships_plan_apply_known_and_undo",
    ),
    "B2/B19": (
        "n/a: the API offers no call that tells which user an API key belongs to (docs/API.md, U39 and U40: "
        "there is no whoami and no list-members endpoint), so a plan cannot recognise the key's own user"
    ),
    # -- B3: pagination ----------------------------------------------------------------------------
    "B3/P1": B3 + "test_p1_exactly_n_unique_rows_in_ceil_n_over_limit_calls",
    "B3/P2": B3 + "test_p2_has_more_without_a_cursor_is_an_error_not_a_stop",
    "B3/P3": B3 + "test_p3_a_repeated_cursor_or_a_cycle_is_an_error",
    "B3/P4": (
        B3 + "test_p4_empty_pages_that_carry_a_cursor_are_followed",
        B3 + "test_p4_endless_pages_without_new_rows_are_bounded",
    ),
    "B3/P5": B3 + "test_p5_has_more_false_with_a_cursor_stops",
    "B3/P6": B3 + "test_p6_p7_inserts_renames_and_deletes_between_pages",
    "B3/P7": B3 + "test_p6_p7_inserts_renames_and_deletes_between_pages",
    "B3/P8": B3 + "test_p8_page_37_of_100_fails_five_times_and_resumes_refetching_one_page",
    "B3/P9": (
        B3 + "test_p9_a_cursor_from_another_query_is_refused_by_the_server",
        B3 + "test_p9_a_refused_cursor_mid_drain_restarts_from_the_first_page_and_deduplicates",
        B3 + "test_p9_a_second_refusal_in_one_run_stops_and_resuming_restarts_again",
        B3 + "test_p9_a_refused_first_page_is_not_restarted",
    ),
    "B3/P10": B3 + "test_p10_bad_limits_fail_before_any_request",
    "B3/P11": (
        B3 + "test_p11_max_rows_truncates_visibly",
        B3 + "test_p4_endless_pages_without_new_rows_are_bounded",
    ),
    "B3/P12": B3 + "test_p12_special_characters_in_the_name_filter_match_exactly",
    "B3/P13": (
        B3 + "test_p13_zero_rows_and_empty_descriptions_keep_the_schema",
        "tests/frames/test_frames.py::test_the_org_schema_is_the_same_for_zero_and_many_rows",
    ),
    # -- B4: security ----------------------------------------------------------------------------
    "B4/S1": (
        B4 + "test_s1_s3_s7_the_canary_key_leaks_nowhere",
        B4 + "test_s1_s3_config_errors_show_no_key_even_with_locals",
        B4 + "test_s1_the_cli_export_prints_no_key",
        "tests/core/test_secrets.py::test_the_key_is_in_no_repr_str_exception_or_log",
    ),
    "B4/S2": "tests/notebooks/test_notebooks.py::test_notebook_on_a_make_run_sandbox_process",
    "B4/S3": (
        B4 + "test_s3_verbose_tracebacks_of_every_transport_failure",
        B4 + "test_s3_a_half_built_client_has_a_repr",
        B4 + "test_s3_a_failure_after_the_settings_shows_no_key_with_locals",
    ),
    "B4/S4": B4 + "test_s4_plain_http_to_a_remote_host_is_refused_before_a_socket_opens",
    "B4/S4b": B4 + "test_s4_plain_http_to_a_remote_host_is_refused_before_a_socket_opens",
    "B4/S4c": B4 + "test_s4c_redirects_are_errors_and_never_followed",
    "B4/S5": (
        B4 + "test_s5_netrc_never_replaces_the_bearer_key",
        "tests/core/test_secrets.py::test_netrc_does_not_replace_the_bearer_key",
    ),
    "B4/S6": B4 + "test_s6_proxy_credentials_are_never_logged",
    "B4/S7": (
        B4 + "test_s1_s3_s7_the_canary_key_leaks_nowhere",
        "tests/core/test_secrets.py::test_the_key_travels_only_in_the_authorization_header",
    ),
    "B4/S8": (
        B4 + "test_s8_every_renderer_escapes_payloads",
        WIDGETS + "test_table_and_panel.py::test_every_html_value_of_the_panel_escapes_payloads",
        WIDGETS + "test_create_form.py::test_an_xss_name_is_escaped_in_every_html_value",
    ),
    "B4/S9": B4 + "test_s9_server_text_is_escaped_in_logs",
    "B4/S10": (
        B2 + "test_b12_a_wrong_confirmation_sends_no_delete",
        WIDGETS + "test_update_form.py::test_delete_needs_the_exact_name_and_shows_id_and_cascade",
    ),
    "B4/S11": (
        B1 + "test_r17_a_403_fails_its_row_and_the_others_continue",
        WIDGETS + "test_actions_and_messages.py::test_every_error_class_has_a_one_line_message",
    ),
    "B4/S12": WIDGETS + "test_table_and_panel.py::test_the_api_key_is_never_in_widget_state_or_repr",
    # -- B5: bad inputs --------------------------------------------------------------------------
    "B5/V1": (
        B5 + "test_v1_bad_names_are_refused_before_any_request",
        B5 + "test_v1_odd_but_legal_names_are_sent_exactly_as_typed",
        WIDGETS + "test_create_form.py::test_edge_whitespace_is_a_warning_and_the_name_is_sent_as_typed",
    ),
    "B5/V2": B5 + "test_v2_descriptions",
    "B5/V3": B5 + "test_v3_odd_ids_are_encoded_and_never_written_through",
    "B5/V4": B5 + "test_v4_roles_are_checked_before_any_request",
    "B5/V5": B5 + "test_v5_frame_shapes_are_checked_before_any_request",
    # -- B6: notebook UI (covered by the widget suites; tests/test_reliability_matrix.py checks them)
    "B6/U1": (
        WIDGETS + "test_create_form.py::test_a_double_click_sends_one_request",
        WIDGETS + "test_update_form.py::test_double_click_on_save_sends_one_patch",
        WIDGETS + "test_member_form.py::test_double_click_on_set_role_sends_one_post",
    ),
    "B6/U2": WIDGETS
    + "test_create_form.py::test_the_thread_runner_returns_at_once_and_ignores_clicks_while_busy",
    "B6/U3": (
        WIDGETS + "test_create_form.py::test_every_error_is_one_line_inline_and_keeps_the_inputs",
        WIDGETS + "test_actions_and_messages.py::test_every_error_class_has_a_one_line_message",
    ),
    "B6/U4": (
        WIDGETS + "test_create_form.py::test_every_error_is_one_line_inline_and_keeps_the_inputs",
        WIDGETS + "test_update_form.py::test_a_409_and_a_404_from_the_server_keep_the_inputs",
    ),
    # -- B7: property tests, fuzzing, load ------------------------------------------------------------
    "B7/F1": B7 + "TestAccountModel::runTest",
    "B7/F2": (
        "n/a: schemathesis is not a dependency of the project and the stand-in publishes no OpenAPI "
        "document; the stand-in's conformance to the contract is covered by tests/sandbox/* and by the "
        "official SDK in tests/conformance"
    ),
    "B7/F3": (
        B7 + "test_f3_raw_http_answers_raise_only_package_errors",
        B7 + "test_f3_json_bodies_raise_only_package_errors",
    ),
    "B7/F4": (
        B7 + "test_f4_retry_after_is_none_or_a_finite_wait_within_the_cap",
        "tests/http/test_retry_policy.py::test_retry_after_parser_never_raises",
    ),
    "B7/F5": B7 + "test_f5_applying_the_plan_to_the_model_gives_the_edit",
    "B7/F6": B7 + "test_f6_every_operation_survives_every_toxic",
    "B7/L1": B7 + "test_l1_drain_over_loopback",
    "B7/L2": (
        B2 + "test_b13_a_rate_limited_apply_completes",
        B7 + "test_load_16_clients_mixed_operations_with_faults",
        B7 + "test_load_16_clients_long",
    ),
    "B7/L3": B7 + "test_l3_soak",
    # -- B8: the account changes under you ----------------------------------------------------------
    "B8/M1": (
        UNDER + "test_a_write_by_name_lands_on_the_org_that_bears_the_name_now",
        UNDER + "test_a_write_by_name_costs_one_lookup_and_one_write_and_by_id_only_the_write",
        UNDER + "test_a_members_plan_by_name_is_refused_when_the_name_moved_to_another_org",
    ),
    "B8/M2": (
        UNDER
        + "test_a_forced_rename_onto_a_name_a_colleague_took_fails_with_the_holder_and_the_rest_applies",
        UNDER + "test_a_resume_whose_rename_target_was_taken_meanwhile_is_refused_then_ends_when_forced",
    ),
    "B8/M3": UNDER + "test_a_swap_whose_last_step_fails_reports_the_temporary_name_and_the_retry_finishes_it",
    "B8/M4": (
        UNDER + "test_undo_is_refused_when_a_colleague_changed_the_org_since_and_forced_it_reverts",
        UNDER + "test_undoing_a_create_is_refused_when_the_org_was_re_described_since",
        UNDER + "test_undo_never_inverts_a_row_that_did_not_apply",
    ),
    "B8/M5": (
        UNDER + "test_a_resumed_removal_that_had_landed_is_applied_and_forgotten_in_known_members",
        UNDER + "test_a_resumed_role_set_is_sent_again",
    ),
    "B8/M6": (
        RERUN + "test_after_a_full_apply_the_file_plans_nothing",
        RERUN + "test_a_failed_row_is_all_that_plans_again_and_the_same_apply_retries_it",
        RERUN + "test_a_failed_create_is_all_that_plans_again_and_the_same_apply_retries_it",
        RERUN + "test_a_create_row_renamed_after_its_create_is_refused_not_created_twice",
    ),
    "B8/M7": UNDER + "test_a_role_a_colleague_changed_since_is_set_again_by_default",
    "B8/M8": (
        B8 + "TestColleagueMachine::runTest",
        B8 + "test_the_state_machine_catches_a_cached_name",
        B8 + "test_stale_reference_detection_catches_an_overwrite",
    ),
}

# Where the package does less than the docs/RELIABILITY.md row asks (the tests above cover what exists).
GAPS: dict[str, str] = {
    "B0/default-bulk-writes": (
        "writes are not serial at 2/s by default: applies run with workers=8, one shared 429 pause and "
        "a write rate learnt from the service's 429s (adaptive pacing, on by default: docs/DESIGN.md, "
        "R14a); the fixed 2/s token bucket exists (RateLimit(writes_per_second=2)) and is off by default"
    ),
    "B0/default-reads": (
        "reads are not held to 10/s by default: at 10 req/s a 100-page drain would take 10 s, against "
        "the drain target of 1.10 x pages x round trip; reads are paced only after a 429 (the learnt "
        "rate), or with RateLimit(reads_per_second=10)"
    ),
    "B2/B4": (
        "terminal statuses are applied/failed/skipped: 'reconciled' is a flag on applied outcomes, and "
        "'skipped' covers not-attempted (no separate skipped-dependency)"
    ),
    "B2/B8": (
        "org and member edits are separate plans: member rows for a failed create are refused at plan time"
    ),
    "B2/B9": "a member plan naming a deleted org is refused (error), not dropped with a warning",
    "B2/B12": "the exact name OR the id confirms; the row (docs/RELIABILITY.md, B2/B12) wants both",
    "B3/P6": "no consistent=False flag on a frame drained while the account changed",
    "B3/P11": "no max_pages; max_rows truncates visibly and max_stale_pages bounds pages without new rows",
    "B4/S4b": "loopback http is allowed without a one-time warning",
    "B4/S10": "organizations.delete() itself needs no confirmation (SDK parity); plans, CLI and widgets do",
    "B4/S11": (
        "there is no read-only default mode / enable_writes() (docs/DESIGN.md, R1 keeps the SDK's surface)"
    ),
    "B4/S12": "no key-entry widget exists: the key comes from ARIZE_API_KEY (nothing to clear)",
    "B5/V1": "the plan refuses bad names but does not warn-and-require-acknowledgement for edge spaces, "
    "non-NFC or confusable names (the create form warns on edge spaces); organizations.create() sends "
    "control/format characters the server accepts (SDK parity)",
    "B5/V2": "update(description=None) means 'not given' (v8.42), not 'clear' (v8.61)",
}

# Defects these suites found in the package, each with the test that fails without its fix.
DEFECTS: dict[str, tuple[str, str]] = {
    "cached-name": (
        "organizations: a by-name call used a remembered name -> id, so after a colleague renamed X "
        "away and created a new X, delete(organization='X') deleted the renamed one",
        UNDER + "test_a_write_by_name_lands_on_the_org_that_bears_the_name_now",
    ),
    "forced-rename-loop": (
        "apply: force=True (or a resume) with a rename onto a name held outside the plan added "
        "temporary-name steps until MemoryError",
        UNDER
        + "test_a_forced_rename_onto_a_name_a_colleague_took_fails_with_the_holder_and_the_rest_applies",
    ),
    "stranded-swap": (
        "apply: a swap whose last step failed left a temporary name unreported, and failed().apply() "
        "was refused as stale",
        UNDER + "test_a_swap_whose_last_step_fails_reports_the_temporary_name_and_the_retry_finishes_it",
    ),
    "undo-overwrite": (
        "undo: the inverse plan carried no expectations, so it overwrote a colleague's later edit",
        UNDER + "test_undo_is_refused_when_a_colleague_changed_the_org_since_and_forced_it_reverts",
    ),
    "undo-create-erases-edit": (
        "undo: the undo of a create (a delete) checked only the name, so it deleted an organization "
        "whose description had been changed since (found by the long B8 state machine run)",
        UNDER + "test_undoing_a_create_is_refused_when_the_org_was_re_described_since",
    ),
    "resumed-removal": (
        "resume: a member removal that had landed before the kill was resent, answered 404 and "
        "reported failed; known() still listed the member",
        UNDER + "test_a_resumed_removal_that_had_landed_is_applied_and_forgotten_in_known_members",
    ),
    "cli-creates": (
        "CLI: the base beside the file forgot the rows apply created, so plan FILE planned them again",
        RERUN + "test_after_a_full_apply_the_file_plans_nothing",
    ),
    "members-no-change": (
        "memberships: a plan claimed 'no change' for roles the journal had set, so a role a colleague "
        "changed since was never re-applied",
        UNDER + "test_a_role_a_colleague_changed_since_is_set_again_by_default",
    ),
    "cut-short-2xx": (
        "transport: a 2xx answer cut inside its headers was taken as an empty success, so a GET "
        "was not retried and a create that had committed failed instead of being reconciled",
        B1 + "test_r21_a_body_cut_short_is_retried_or_reconciled_never_taken_as_success",
    ),
    "deep-json": (
        "transport: a deeply nested JSON body (success or problem) raised RecursionError, "
        "not a package error",
        B1 + "test_r21_bodies_that_break_the_contract_are_protocol_errors",
    ),
    "asctime-retry-after": (
        "transport: a Retry-After in asctime form (no zone; UTC by RFC 9110) was ignored",
        B1 + "test_r2_http_dates_do_not_depend_on_the_time_zone",
    ),
    "foreign-adoption": (
        "organizations: an ambiguous create adopted an org of the same name made by someone else "
        "(another description) and reported it as created",
        B1 + "test_r9_a_same_named_org_with_another_description_is_not_adopted",
    ),
    "conflict-as-not-found": (
        "organizations: after an ambiguous create, the retry's 409 for a name taken under another "
        "case surfaced as NameNotFoundError instead of ConflictError",
        B1 + "test_r11_a_409_after_an_ambiguous_attempt_is_still_a_conflict",
    ),
    "endless-pages": (
        "pagination: fresh cursors with empty (or already seen) pages made iteration endless",
        B3 + "test_p4_endless_pages_without_new_rows_are_bounded",
    ),
    "log-injection": (
        "organizations, pagination: server text (problem detail, ids) was logged with %s, so it could "
        "forge log lines and send terminal escape codes",
        B4 + "test_s9_server_text_is_escaped_in_logs",
    ),
    "half-built-repr": (
        "client: repr() of an ArizeOrgs whose constructor raised threw AttributeError, which breaks "
        "tracebacks that show locals (%xmode Verbose)",
        B4 + "test_s3_a_half_built_client_has_a_repr",
    ),
    "key-in-locals": (
        "config, client: a traceback with locals of a settings or journal error showed the key "
        "(the raw 'key' local and os.environ held in a local)",
        B4 + "test_s1_s3_config_errors_show_no_key_even_with_locals",
    ),
    "create-after-rename": (
        "apply: a create taking a name that a rename of the same plan frees ran first and always "
        "failed with 409",
        B2 + "test_b7_a_create_of_a_name_a_rename_frees_runs_after_the_renames",
    ),
}
