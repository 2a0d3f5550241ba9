INSERT INTO model_prices SELECT * FROM format(JSONEachRow, {rows:String})
