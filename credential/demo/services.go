package demo

import "github.com/certledger/certledger/credential"

// Service codes of the demo's service catalogue (事项目录): the initials of
// the item's Chinese name, the year and a number.
const (
	ServiceRealEstate       = "BDCDJ-2026-001" // 不动产登记 (a company's)
	ServiceProfessionalRank = "ZCPS-2026-001"  // 职称评审
	ServiceStartupSubsidy   = "CYBT-2026-001"  // 高校毕业生一次性创业补贴
)

// Services returns the demo service items, each with the fewest claims
// that let the requesting department decide. The demo has no land
// department, so the data bureau, which runs the one-stop service hall
// (政务服务中心), requests the business licence for real estate
// registration.
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
		{Code: ServiceStartupSubsidy, NameZh: "高校毕业生一次性创业补贴申领", NameEn: "One-off start-up subsidy for graduates",
			Requesters: []string{HumanRes, Governance},
			Credentials: []credential.ServiceCredential{
				{Type: "business-licence", Fields: []string{credential.ClaimHolderIDNumber, "companyName", "legalRepresentative", "establishedOn"}},
				{Type: "diploma", Fields: []string{credential.ClaimHolderName, "level", "graduatedOn"}},
			}},
	}
}
