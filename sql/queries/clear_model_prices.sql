TRUNCATE TABLE model_prices
