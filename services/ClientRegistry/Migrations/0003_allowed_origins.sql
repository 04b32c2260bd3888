-- Browser origins whose pages may call the public endpoints cross-origin (CORS), held as browsers
-- send Origin: scheme://host[:port], lower case, no default port. The admin API stores the origins
-- of the redirect URIs when none are given; clients registered before this column get the same.
ALTER TABLE oauth_client ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}';

UPDATE oauth_client c SET allowed_origins = coalesce((
    SELECT array_agg(DISTINCT o.origin ORDER BY o.origin)
    FROM (
        SELECT regexp_replace(regexp_replace(lower(substring(r.uri FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*')),
            '^(https://.*):443$', '\1'), '^(http://.*):80$', '\1') AS origin
        FROM unnest(c.redirect_uris) AS r(uri)
    ) o
    WHERE o.origin ~ '^https://[^@%]+$'
       OR o.origin ~ '^http://(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]+)?$'
), '{}')
WHERE deleted_at IS NULL;
