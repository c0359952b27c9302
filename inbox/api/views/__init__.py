"""The API's views, one APIView per operation, grouped by resource."""
