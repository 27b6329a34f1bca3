-- List pages filtered by region or postcode area in the default order (newest strike-off entry
-- first) read their page straight from an index instead of filtering the whole sort order. The
-- composite indexes also serve every lookup the single-column ones did.

DROP INDEX companies_region;
DROP INDEX companies_postcode_area;
CREATE INDEX companies_region_entered ON companies
    (region, (coalesce(entered_on, DATE '0001-01-01')), company_number);
CREATE INDEX companies_area_entered ON companies
    (postcode_area, (coalesce(entered_on, DATE '0001-01-01')), company_number);
