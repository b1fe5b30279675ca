{{ country_details() }}
