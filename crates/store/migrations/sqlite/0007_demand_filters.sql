-- Needs are listed by the stage they need and by cluster, as typed columns like their other filters
-- (`clusters` holds `|A|B|`, so one cluster is `LIKE '%|A|%'`); filled from each stored document.
ALTER TABLE demands ADD COLUMN trl_needed INTEGER;
ALTER TABLE demands ADD COLUMN clusters TEXT;
UPDATE demands SET
    trl_needed = json_extract(doc, '$.trl_needed'),
    clusters = (SELECT '|' || group_concat(value, '|') || '|' FROM json_each(doc, '$.clusters'));
