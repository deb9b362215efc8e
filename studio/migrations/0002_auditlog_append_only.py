"""The audit log is append-only in the database too: UPDATE and DELETE raise.

TRUNCATE (test-database flushes) is not a row event and stays possible for the operator.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION studio_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'studio_auditlog is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER studio_auditlog_no_update_delete
    BEFORE UPDATE OR DELETE ON studio_auditlog
    FOR EACH ROW EXECUTE FUNCTION studio_auditlog_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS studio_auditlog_no_update_delete ON studio_auditlog;
DROP FUNCTION IF EXISTS studio_auditlog_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("studio", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
