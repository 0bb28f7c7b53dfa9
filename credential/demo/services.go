package demo

import "github.com/certledger/certledger/credential"

// Service codes of the demo's service catalogue (事项目录): the initials of
// the item's Chinese name, the year and a number.
const (
	ServiceRealEstate       = "BDCDJ-2026-001"  // 不动产登记 (a company's)
	ServiceProfessionalRank = "ZCPS-2026-001"   // 职称评审
	ServiceTalentSettlement = "RCYJLH-2026-001" // 人才引进落户
)

// Services returns the demo service items, each with the fewest claims
// that let the requesting department decide. The demo has neither a land
// department nor a public security bureau, so the data bureau, which runs
// the one-stop service hall (政务服务中心), requests the business licence
// for real estate registration and, issuing neither, a person's diploma
// and professional qualification for talent settlement.
func Services() []credential.Service {
	return []credential.Service{
		{Code: ServiceRealEstate, NameZh: "不动产登记（企业）", NameEn: "Real estate registration (companies)",
			Requesters: []string{Governance},
			Credentials: []credential.ServiceCredential{
				{Type: "business-licence", Fields: []string{credential.ClaimHolderIDNumber, "companyName", "legalRepresentative", "address"}},
			}},
		{Code: ServiceProfessionalRank, NameZh: "专业技术职称评审", NameEn: "Professional title evaluation",
			Requesters: []string{HumanRes},
			Credentials: []credential.ServiceCredential{
				{Type: "diploma", Fields: []string{credential.ClaimHolderName, "level", "major", "graduatedOn"}},
				{Type: "professional-qualification", Fields: []string{credential.ClaimHolderName, "occupation", "grade", "certificateNumber"}},
			}},
		{Code: ServiceTalentSettlement, NameZh: "人才引进落户", NameEn: "Residence registration for recruited talent",
			Requesters: []string{Governance},
			Credentials: []credential.ServiceCredential{
				{Type: "diploma", Fields: []string{credential.ClaimHolderIDNumber, credential.ClaimHolderName, "school", "level", "graduatedOn"}},
				{Type: "professional-qualification", Fields: []string{credential.ClaimHolderName, "occupation", "grade"}},
			}},
	}
}
