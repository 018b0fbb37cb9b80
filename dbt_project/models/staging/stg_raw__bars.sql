with

source as (

    select * from {{ source('raw', 'bars') }}

),

renamed as (

    select
        quote_date,
        symbol,
        ts,
        open,
        high,
        low,
        close,
        cast(volume as bigint) as volume,
        source_file,
        source_row

    from source

)

select * from renamed
