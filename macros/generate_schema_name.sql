{#-
    Schema naming per environment.

    prod gets the clean folder names (raw, transform, mart, snapshots, seeds) so
    that grants and downstream tools see stable names. Every other target (dev, ci,
    a developer's own) prefixes them with the target's schema (dev_raw, ci_mart), so
    environments sharing one warehouse never collide.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set default_schema = target.schema -%}
    {%- if custom_schema_name is none -%}
        {{ default_schema | trim }}
    {%- elif target.name == 'prod' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ default_schema | trim }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
