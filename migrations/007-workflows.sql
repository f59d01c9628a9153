-- Reserved for workflow runs (issue 10); filled in on the workflow branch.
SELECT 1;
