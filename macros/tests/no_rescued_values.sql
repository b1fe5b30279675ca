{#-
    Generic test on a raw model's key column: no record holds a rescued value (a
    field whose value did not fit its declared type; raw keeps it in `_rescued`,
    see json_fields.sql). Returns one row per record and field, naming them: the
    record's key, the field's path in the record and its original value.

        - name: country_code
          data_tests:
              - no_rescued_values

    Severity: the var `rescued_values_severity` (warn or error); without it, warn,
    and error on the ci target, so drift is seen on every run and stops CI.
-#}
{% test no_rescued_values(model, column_name) %}

    {{ config(severity=var('rescued_values_severity', 'error' if target.name == 'ci' else 'warn')) }}

    with

    rescued_records as (

        select
            {{ column_name }} as record_key,
            _rescued
        from {{ model }}
        where _rescued is not null

    ),

    final as (

        select
            rescued_records.record_key,
            rescued.key as field,
            {{ json_to_varchar('rescued.value') }} as original_value
        from rescued_records
        {{ flatten_object('rescued_records._rescued', 'rescued') }}

    )

    select * from final

{% endtest %}
