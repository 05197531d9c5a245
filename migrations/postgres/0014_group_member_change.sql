-- A SCIM PATCH that only adds and removes members of a directory's group, as one statement
-- that commits as it runs (src/store/group_members_at_once.rs). The group's row lock is
-- taken first and held only while this runs and commits, not across round trips; each
-- statement below reads a snapshot taken after the lock was granted (a VOLATILE function
-- takes one per statement), so a removal sees a member added by the transaction it waited
-- for, as the version order says.
CREATE FUNCTION scim_group_member_change(
    p_group uuid,
    p_directory uuid,
    p_add uuid[],
    p_remove uuid[],
    p_at timestamptz,
    p_if_version bigint
) RETURNS TABLE (
    outcome text,
    missing uuid[],
    added bigint,
    removed bigint,
    id uuid,
    org_id uuid,
    directory_id uuid,
    display_name text,
    external_id text,
    created_at timestamptz,
    updated_at timestamptz,
    version bigint,
    group_patch_minimal boolean
) LANGUAGE plpgsql VOLATILE
-- Its statements' plans are made once per connection, not at every call: the parameters
-- do not change what the best plan is (every lookup is by key).
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    g org_groups%ROWTYPE;
    absent uuid[];
    n_added bigint := 0;
    n_removed bigint := 0;
BEGIN
    -- A refusal answers its outcome alone, the rest of the row NULL but the counts.
    added := 0;
    removed := 0;
    -- The users first, then the group: the order a user's deletion takes them in.
    PERFORM 1 FROM directory_users du
        WHERE du.directory_id = p_directory AND du.id = ANY (p_add || p_remove)
        ORDER BY du.id FOR SHARE;
    SELECT array_agg(a.u ORDER BY a.n) INTO absent FROM unnest(p_add) WITH ORDINALITY AS a(u, n)
        WHERE NOT EXISTS (SELECT 1 FROM directory_users du
                          WHERE du.directory_id = p_directory AND du.id = a.u);
    IF absent IS NOT NULL THEN
        outcome := 'not_users';
        missing := absent;
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT * INTO g FROM org_groups o
        WHERE o.id = p_group AND o.directory_id = p_directory FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'not_found';
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_if_version IS NOT NULL AND g.version <> p_if_version THEN
        outcome := 'version_moved';
        RETURN NEXT;
        RETURN;
    END IF;
    IF cardinality(p_remove) > 0 THEN
        DELETE FROM group_members m
            USING directory_users du
            WHERE m.group_id = p_group AND m.account_id = du.account_id
              AND du.directory_id = p_directory AND du.id = ANY (p_remove);
        GET DIAGNOSTICS n_removed = ROW_COUNT;
    END IF;
    IF cardinality(p_add) > 0 THEN
        INSERT INTO group_members (group_id, account_id, added_at)
            SELECT p_group, du.account_id, p_at FROM directory_users du
            WHERE du.directory_id = p_directory AND du.id = ANY (p_add)
            ORDER BY du.account_id
            ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS n_added = ROW_COUNT;
    END IF;
    IF n_added + n_removed > 0 THEN
        UPDATE org_groups o SET version = o.version + 1, updated_at = p_at
            WHERE o.id = p_group RETURNING * INTO g;
    END IF;
    RETURN QUERY SELECT 'done'::text, NULL::uuid[], n_added, n_removed, g.id, g.org_id,
        g.directory_id, g.display_name, g.external_id, g.created_at, g.updated_at, g.version,
        (SELECT d.group_patch_minimal FROM directories d WHERE d.id = p_directory);
END
$$;

-- Several such changes of one group, in order, as one statement: scimd sends the changes
-- that queued while the group's previous statement ran, so that they share one lock, one
-- round trip and one commit. Each change is as if alone: the ones before it are in what
-- it reads; one refused writes nothing. A change whose response shows the members gets
-- them as it left them (as users of the directory, in the order they were added), unless
-- the directory answers group PATCHes without a body.
CREATE FUNCTION scim_group_member_changes(p_group uuid, p_directory uuid, p_changes jsonb)
RETURNS TABLE (
    n bigint,
    outcome text,
    missing uuid[],
    added bigint,
    removed bigint,
    id uuid,
    org_id uuid,
    directory_id uuid,
    display_name text,
    external_id text,
    created_at timestamptz,
    updated_at timestamptz,
    version bigint,
    group_patch_minimal boolean,
    members jsonb
) LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    change jsonb;
    k bigint;
    r record;
BEGIN
    FOR change, k IN SELECT c.value, c.ordinality
                     FROM jsonb_array_elements(p_changes) WITH ORDINALITY AS c
                     ORDER BY c.ordinality LOOP
        SELECT * INTO r FROM scim_group_member_change(
            p_group,
            p_directory,
            ARRAY(SELECT jsonb_array_elements_text(change->'add')::uuid),
            ARRAY(SELECT jsonb_array_elements_text(change->'remove')::uuid),
            timestamptz 'epoch' + (change->>'at')::bigint * interval '1 microsecond',
            (change->>'if_version')::bigint
        );
        n := k;
        outcome := r.outcome;
        missing := r.missing;
        added := r.added;
        removed := r.removed;
        id := r.id;
        org_id := r.org_id;
        directory_id := r.directory_id;
        display_name := r.display_name;
        external_id := r.external_id;
        created_at := r.created_at;
        updated_at := r.updated_at;
        version := r.version;
        group_patch_minimal := r.group_patch_minimal;
        members := NULL;
        IF r.outcome = 'done' AND (change->>'members')::boolean AND NOT r.group_patch_minimal THEN
            SELECT coalesce(jsonb_agg(jsonb_build_object('id', du.id, 'display', a.display_name)
                                      ORDER BY gm.added_at, du.id), '[]'::jsonb)
                INTO members
                FROM group_members gm
                JOIN directory_users du
                    ON du.directory_id = p_directory AND du.account_id = gm.account_id
                JOIN accounts a ON a.id = gm.account_id
                WHERE gm.group_id = p_group;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
