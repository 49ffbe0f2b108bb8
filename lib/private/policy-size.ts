/**
 * Above this many distinct ARNs, a permission is granted on a wildcard scoped as narrowly as the ARNs allow
 * (this account's ML transforms, a dataset group's datasets, a bucket's objects), so that the roles' and
 * buckets' policies stay within IAM's and S3's size limits however many exports are configured.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const MAX_LISTED_RESOURCES = 40;
