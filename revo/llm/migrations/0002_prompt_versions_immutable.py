"""A prompt version never changes after it is written: only ``is_active`` (activation,
rollback) and ``updated_at`` may. The service refuses edits; this trigger makes the
database refuse them too."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION llm_prompttemplate_immutable() RETURNS trigger AS $$
BEGIN
    IF (NEW.key, NEW.version, NEW.system_text, NEW.user_template, NEW.output_schema,
        NEW.inputs, NEW.model, NEW.options, NEW.fallback_template, NEW.validators,
        NEW.source, NEW.sha256, NEW.created_at)
       IS DISTINCT FROM
       (OLD.key, OLD.version, OLD.system_text, OLD.user_template, OLD.output_schema,
        OLD.inputs, OLD.model, OLD.options, OLD.fallback_template, OLD.validators,
        OLD.source, OLD.sha256, OLD.created_at) THEN
        RAISE EXCEPTION 'prompt versions are immutable: create a new version instead'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER llm_prompttemplate_immutable
    BEFORE UPDATE ON llm_prompttemplate
    FOR EACH ROW EXECUTE FUNCTION llm_prompttemplate_immutable();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS llm_prompttemplate_immutable ON llm_prompttemplate;
DROP FUNCTION IF EXISTS llm_prompttemplate_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("llm", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
