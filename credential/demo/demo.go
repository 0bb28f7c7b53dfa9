// Package demo holds the demonstration registry: a governance department and
// three issuing departments with one credential type each. Both ledger
// backends provision it, so the README walkthrough runs unchanged on either.
package demo

import "github.com/certledger/certledger/credential"

// Department IDs of the demo.
const (
	Governance = "gov"  // 数据局: keeps the registry
	Market     = "samr" // 市场监督管理局: business licences
	Education  = "edu"  // 教育局: diplomas
	HumanRes   = "hrss" // 人力资源和社会保障局: professional qualifications
)

// Departments returns the demo departments without keys; whoever provisions
// them generates and registers each department's signing key.
func Departments() []credential.Department {
	return []credential.Department{
		{ID: Governance, MSPID: "GovMSP", USCC: "11100000MB01000171", NameZh: "数据局", NameEn: "Data Bureau",
			Roles: []credential.Role{credential.RoleGovernance}},
		{ID: Market, MSPID: "SamrMSP", USCC: "11100000MB02000124", NameZh: "市场监督管理局", NameEn: "Market Regulation Administration",
			Roles: []credential.Role{credential.RoleIssuer}},
		{ID: Education, MSPID: "EduMSP", USCC: "11100000MB0300013R", NameZh: "教育局", NameEn: "Education Bureau",
			Roles: []credential.Role{credential.RoleIssuer}},
		{ID: HumanRes, MSPID: "HrssMSP", USCC: "11100000MB0400018U", NameZh: "人力资源和社会保障局", NameEn: "Human Resources and Social Security Bureau",
			Roles: []credential.Role{credential.RoleIssuer}},
	}
}

func str(name, zh, en string, required bool, max int) credential.FieldSpec {
	return credential.FieldSpec{Name: name, Type: credential.FieldString, Required: required, LabelZh: zh, LabelEn: en, MaxLength: max}
}

func date(name, zh, en string, required bool) credential.FieldSpec {
	return credential.FieldSpec{Name: name, Type: credential.FieldDate, Required: required, LabelZh: zh, LabelEn: en}
}

func num(name, zh, en string, required bool) credential.FieldSpec {
	return credential.FieldSpec{Name: name, Type: credential.FieldNumber, Required: required, LabelZh: zh, LabelEn: en}
}

// personIDs are the holder ID types of a credential held by a person; a
// fresh slice each time, so no two types share one.
func personIDs() []string {
	return []string{credential.IDResidentCard, credential.IDPassport, credential.IDOther}
}

// Types returns the demo credential types. Each type code is the defining
// department's USCC followed by a three-digit number (GB/T 36904).
func Types() []credential.CredentialType {
	return []credential.CredentialType{
		{ID: "business-licence", Code: "11100000MB02000124001", NameZh: "营业执照", NameEn: "Business Licence",
			Issuers: []string{Market}, DefaultValidityDays: 3650, HolderIDTypes: []string{credential.IDUSCC},
			Fields: []credential.FieldSpec{
				str("companyName", "名称", "Company name", true, 200),
				str("entityType", "类型", "Entity type", true, 100),
				str("legalRepresentative", "法定代表人", "Legal representative", true, 100),
				num("registeredCapital", "注册资本（万元）", "Registered capital (10,000 CNY)", false),
				date("establishedOn", "成立日期", "Established on", true),
				str("address", "住所", "Address", true, 300),
				str("businessScope", "经营范围", "Business scope", false, 2000),
			}},
		{ID: "diploma", Code: "11100000MB0300013R001", NameZh: "毕业证书", NameEn: "Diploma",
			Issuers: []string{Education}, HolderIDTypes: personIDs(),
			Fields: []credential.FieldSpec{
				str("school", "学校", "School", true, 200),
				str("major", "专业", "Major", true, 100),
				str("level", "学历层次", "Level of education", true, 50),
				date("enrolledOn", "入学日期", "Enrolled on", false),
				date("graduatedOn", "毕业日期", "Graduated on", true),
				str("certificateNumber", "证书编号", "Certificate number", true, 64),
			}},
		{ID: "professional-qualification", Code: "11100000MB0400018U001", NameZh: "职业资格证书", NameEn: "Professional Qualification",
			Issuers: []string{HumanRes}, DefaultValidityDays: 1825, HolderIDTypes: personIDs(),
			Fields: []credential.FieldSpec{
				str("occupation", "职业（工种）", "Occupation", true, 100),
				str("grade", "等级", "Grade", true, 50),
				num("score", "成绩", "Score", false),
				date("examinedOn", "考核日期", "Examined on", false),
				str("certificateNumber", "证书编号", "Certificate number", true, 64),
			}},
	}
}
