SELECT formatQuerySingleLine({sql:String}) AS formatted
