"""Internal procedures (*quy trình nội bộ*) as versioned data: the definition (``model``), its check against
the law (``rules``) and the seeded library with the generated default (``library``). docs/domain.md §11."""
