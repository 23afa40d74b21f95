-- The first post recorded for a key: a duplicate row that slipped past insertAll's insertId
-- dedupe changes nothing. Clustered on post_key.
SELECT post_key, channel_id, message_ts, kind, posted_at
FROM {{slack_posts}}
WHERE post_key = @post_key
ORDER BY posted_at, message_ts
LIMIT 1
