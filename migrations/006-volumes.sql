-- Reserved for the volume registry (issue 8); filled in on the volume branch.
SELECT 1;
