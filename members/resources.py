"""django-import-export resource: the project's own spreadsheet columns for members.

Its ``column_name``s are the export headers, and the import pipeline (members/imports.py)
accepts them as well as the common Chinese and English names secretariats use.
"""

from import_export import fields, resources

from members.models import Member

# (attribute, export header, other headers met in the wild)
COLUMNS = [
    ("number", "会员编号", ["member number", "member no", "会员号", "编号"]),
    ("name_zh", "姓名", ["name", "中文名", "中文姓名", "name (chinese)"]),
    ("name_en", "英文名", ["english name", "name (english)", "英文姓名"]),
    ("gender", "性别", ["gender", "sex"]),
    ("birth_date", "出生日期", ["birth date", "date of birth", "birthday", "出生年月"]),
    ("id_type", "证件类型", ["id type"]),
    ("id_number", "证件号码", ["身份证号", "身份证号码", "id number", "id no"]),
    ("work_unit", "工作单位", ["work unit", "单位", "employer", "organisation", "organization"]),
    ("title", "职称", ["title", "professional title"]),
    ("discipline", "学科", ["discipline", "专业", "研究方向"]),
    ("degree", "学历", ["学位", "degree", "highest degree", "学历/学位"]),
    ("mobile", "手机", ["mobile", "手机号", "手机号码", "phone", "电话", "联系电话"]),
    ("email", "电子邮箱", ["邮箱", "e-mail", "email", "电子邮件", "mail"]),
    ("address", "通讯地址", ["address", "地址", "postal address"]),
    ("region", "地区", ["region", "省份", "所在地区"]),
    ("category", "会员类别", ["category", "会员类型", "membership category"]),
    ("status", "状态", ["status", "会员状态"]),
    ("joined_on", "入会日期", ["join date", "joined", "入会时间"]),
    ("term_end", "到期日期", ["expiry", "expiry date", "有效期至", "到期时间"]),
]


def header_map() -> dict[str, str]:
    """Lower-cased, space-stripped header → attribute."""
    mapping = {}
    for attribute, header, aliases in COLUMNS:
        for name in [header, attribute, *aliases]:
            mapping[name.lower().replace(" ", "").replace("_", "")] = attribute
    return mapping


class MemberResource(resources.ModelResource):
    category = fields.Field(attribute="category__code", column_name="会员类别")

    class Meta:
        model = Member
        fields = [c[0] for c in COLUMNS]
        export_order = [c[0] for c in COLUMNS]

    def __init__(self, *, show_personal: bool = False):
        super().__init__()
        self.show_personal = show_personal
        for attribute, header, _aliases in COLUMNS:
            self.fields[attribute].column_name = header

    def dehydrate_id_number(self, member):
        from members.normalize import mask_id_number

        return member.id_number if self.show_personal else mask_id_number(member.id_number)

    def dehydrate_mobile(self, member):
        from members.normalize import mask_mobile

        return member.mobile if self.show_personal else mask_mobile(member.mobile)
