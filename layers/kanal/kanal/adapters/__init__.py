"""AWS adapters: DynamoDB (PynamoDB models), Step Functions, SNS, Secrets Manager and SSM Parameter Store."""
