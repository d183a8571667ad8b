CREATE TABLE "risk_counts" (
	"account_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"type" text DEFAULT '' NOT NULL,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "risk_counts_account_id_kind_type_severity_status_pk" PRIMARY KEY("account_id","kind","type","severity","status")
);
