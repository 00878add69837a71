# Multi-Region keys with their replicas in eu-west-1, one of each origin, single-Region keys
# and an alias for every key, applied to kmsd by crates/kmsd/tests/e2e/terraform.rs. Every
# input is a variable; the test sets them as TF_VAR_*.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "access_key" {
  type = string
}

variable "secret_key" {
  type      = string
  sensitive = true
}

# The account of the access key. Without STS the provider cannot look it up, so
# data "aws_caller_identity" does not work against kmsd.
variable "account_id" {
  type = string
}

variable "key_material_base64" {
  type      = string
  sensitive = true
}

variable "name" {
  type    = string
  default = "tf"
}

# kmsd has no STS and no IAM. The provider calls sts:GetCallerIdentity to check the keys
# unless skip_credentials_validation is set, and looks up the account ID through STS and
# IAM unless skip_requesting_account_id is set; either call fails on a closed network.
# skip_metadata_api_check and skip_region_validation are not needed: static keys never
# reach the instance metadata service, and both regions are known to the provider.
provider "aws" {
  region     = "us-east-1"
  access_key = var.access_key
  secret_key = var.secret_key

  skip_credentials_validation = true
  skip_requesting_account_id  = true

  endpoints {
    kms = var.endpoint
  }
}

provider "aws" {
  alias      = "eu"
  region     = "eu-west-1"
  access_key = var.access_key
  secret_key = var.secret_key

  skip_credentials_validation = true
  skip_requesting_account_id  = true

  endpoints {
    kms = var.endpoint
  }
}

locals {
  policy = jsonencode({
    Version = "2012-10-17"
    Id      = "${var.name}-policy"
    Statement = [{
      Sid       = "Enable IAM User Permissions"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_kms_key" "primary" {
  description             = "${var.name} primary"
  multi_region            = true
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = local.policy
  tags = {
    Name = "${var.name}-primary"
    Team = "keys"
  }
}

resource "aws_kms_replica_key" "replica" {
  provider                = aws.eu
  primary_key_arn         = aws_kms_key.primary.arn
  description             = "${var.name} replica"
  deletion_window_in_days = 7
  policy                  = local.policy
  tags = {
    Name = "${var.name}-replica"
  }
}

# An imported key is left Disabled after the import unless `enabled = true`: the provider
# calls DisableKey when the attribute is unset, against AWS as well.
resource "aws_kms_external_key" "primary" {
  description             = "${var.name} external primary"
  multi_region            = true
  key_material_base64     = var.key_material_base64
  enabled                 = true
  deletion_window_in_days = 7
  tags = {
    Name = "${var.name}-external-primary"
  }
}

resource "aws_kms_replica_external_key" "replica" {
  provider                = aws.eu
  primary_key_arn         = aws_kms_external_key.primary.arn
  description             = "${var.name} external replica"
  key_material_base64     = var.key_material_base64
  enabled                 = true
  deletion_window_in_days = 7
}

resource "aws_kms_key" "single" {
  description             = "${var.name} single-Region"
  deletion_window_in_days = 7
}

resource "aws_kms_external_key" "single" {
  description             = "${var.name} external single-Region"
  key_material_base64     = var.key_material_base64
  enabled                 = true
  deletion_window_in_days = 7
}

resource "aws_kms_alias" "primary" {
  name          = "alias/${var.name}-primary"
  target_key_id = aws_kms_key.primary.key_id
}

resource "aws_kms_alias" "replica" {
  provider      = aws.eu
  name          = "alias/${var.name}-replica"
  target_key_id = aws_kms_replica_key.replica.key_id
}

resource "aws_kms_alias" "external_primary" {
  name          = "alias/${var.name}-external-primary"
  target_key_id = aws_kms_external_key.primary.id
}

resource "aws_kms_alias" "external_replica" {
  provider      = aws.eu
  name          = "alias/${var.name}-external-replica"
  target_key_id = aws_kms_replica_external_key.replica.key_id
}

resource "aws_kms_alias" "single" {
  name          = "alias/${var.name}-single"
  target_key_id = aws_kms_key.single.key_id
}

output "primary_key_id" {
  value = aws_kms_key.primary.key_id
}

output "external_key_id" {
  value = aws_kms_external_key.primary.id
}

output "replica_arn" {
  value = aws_kms_replica_key.replica.arn
}

output "external_replica_arn" {
  value = aws_kms_replica_external_key.replica.arn
}

output "single_key_id" {
  value = aws_kms_key.single.key_id
}

output "single_external_key_id" {
  value = aws_kms_external_key.single.id
}
