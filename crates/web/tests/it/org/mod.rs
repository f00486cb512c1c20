pub mod orgs;
