with

source as (

    select * from {{ source('raw', 'chains') }}

),

renamed as (

    select
        quote_date,
        expiration,
        underlying,
        nullif(trim(root), '') as root,
        cast(strike as double) as strike,
        upper(trim(option_type)) as option_type,
        cast(open_interest as bigint) as open_interest,
        cast(volume as bigint) as volume,
        bid,
        ask,
        implied_volatility,
        underlying_price,
        expiration = quote_date as is_0dte,
        -- the expiration the day is scored on: its own (0DTE) on an expiration day, the next
        -- one on a calendar placebo day (whose chain holds no contract expiring that day)
        expiration = min(case when expiration >= quote_date then expiration end)
            over (partition by quote_date) as is_front,
        source_file,
        source_row

    from source

)

select * from renamed
