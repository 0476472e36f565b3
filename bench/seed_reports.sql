-- Bulk-insert 1,000,000 reports (+ their handling rows) into a migrated, load_reference-d PostgreSQL
-- database for bench/admin_queues.py:  psql "$DATABASE_URL" -f bench/seed_reports.sql
\timing on
create temp table ag as select id, row_number() over (order by id) as rn from agencies_agency;
create temp table cat as select id, row_number() over (order by id) as rn from complaints_category where parent_id is not null;
select count(*) from ag; select count(*) from cat;
insert into complaints_report (tracking_no, classification, complaint_kind, is_formal_info_request, title, original_title, body, event_date, district, tags, channel, is_anonymous, is_confidential, reporter_name, reporter_contact, status, held_from, close_reason, due_at, created_at, updated_at, bounce_count, reopen_count, rating_comment, auto_completed, support_count, comment_count, agency_id, category_id, province_id, regency_id)
select 'B' || lpad(to_hex(g), 10, '0'), 'complaint', '', false, 'Laporan nomor ' || g, '', 'Isi', date '2026-01-01', '', '[]'::jsonb, 'web', (g % 5 = 0), false,
  'Warga ' || g, '', s.status, '', '', case when s.status in ('completed','archived','removed') then null else now() + ((g % 61) - 20) * interval '1 day' end,
  now() - (g % 700) * interval '1 day', now(), 0, 0, '', false, 0, 0,
  (select id from ag where rn = 1 + (g % (select count(*) from ag))), (select id from cat where rn = 1 + (g % (select count(*) from cat))), '51', '51.03'
from generate_series(1, 1000000) g
cross join lateral (select (array['completed','completed','completed','completed','completed','completed','archived','archived','submitted','dispatched','in_progress','responded','on_hold','returned','verified','completed'])[1 + (g % 16)] as status) s;
insert into complaints_reportagency (report_id, agency_id, kind, created_at) select id, agency_id, 'handler', created_at from complaints_report where agency_id is not null;
analyze;
select status, count(*) from complaints_report group by 1 order by 1;
